/**
 * forward: sends queries it gets to upstream resolvers. A random healthy upstream is tried first
 * and the others on failure, all within one deadline (2 s), after which the client gets SERVFAIL —
 * never a silent drop. An upstream that failed `maxFails` times in a row is marked down and probed
 * every `healthCheckMs` with a `. NS` query until it answers. Over `maxConcurrent` in-flight
 * queries the answer is REFUSED, as CoreDNS does, instead of queueing without bound.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { inZone, type Plugin } from '../../chain.js';
import { decodeMessage, encodeMessage, ADVERTISED_UDP_SIZE } from '../../codec.js';
import { Rcode, TypeCode, rcodeName, replyTo, type DnsMessage } from '../../message.js';
import type { Logger } from '../../../daemon/logger.js';
import { Upstream, type UpstreamAddress } from './upstream.js';

export interface ForwardOptions {
  /** Zone forwarded (usually "."). */
  zone: string;
  upstreams: UpstreamAddress[];
  maxConcurrent: number;
  maxFails: number;
  healthCheckMs: number;
  /** Whole budget for one client query, across upstreams. */
  timeoutMs: number;
  /** Domains never forwarded (answered REFUSED by the chain's end instead). */
  except: string[];
  log: Logger;
  registry?: Registry;
}

export function forwardPlugin(opts: ForwardOptions): Plugin & { upstreams: Upstream[] } {
  const upstreams = opts.upstreams.map((a) => new Upstream(a));
  let inflight = 0;
  let healthTimer: NodeJS.Timeout | undefined;
  const reg = opts.registry ? [opts.registry] : [];
  const requests = new Counter({ name: 'coredns_forward_requests_total', help: 'Queries sent per upstream.', labelNames: ['to'], registers: reg });
  const responses = new Counter({ name: 'coredns_forward_responses_total', help: 'Responses per upstream and rcode.', labelNames: ['to', 'rcode'], registers: reg });
  const duration = new Histogram({ name: 'coredns_forward_request_duration_seconds', help: 'Upstream round-trip time.', labelNames: ['to', 'rcode'], buckets: [0.00025, 0.001, 0.004, 0.016, 0.064, 0.256, 1, 2], registers: reg });
  const healthFailures = new Counter({ name: 'coredns_forward_healthcheck_failures_total', help: 'Failed health checks per upstream.', labelNames: ['to'], registers: reg });
  const brokenTotal = new Counter({ name: 'coredns_forward_healthcheck_broken_total', help: 'Times every upstream was down.', registers: reg });
  const maxConcurrentRejects = new Counter({ name: 'coredns_forward_max_concurrent_rejects_total', help: 'Queries refused over max_concurrent.', registers: reg });
  new Gauge({ name: 'coredns_forward_conn_cache_hits_total', help: 'Unused; kept for dashboard compatibility.', registers: reg });

  const healthy = () => upstreams.filter((u) => u.fails < opts.maxFails);

  const order = (): Upstream[] => {
    const up = healthy();
    const list = up.length > 0 ? up : (brokenTotal.inc(), [...upstreams]);
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [list[i], list[j]] = [list[j]!, list[i]!];
    }
    return list;
  };

  const probe = async (u: Upstream) => {
    const q: DnsMessage = { ...replyTo({ id: 1, response: false, opcode: 0, aa: false, tc: false, rd: true, ra: false, ad: false, cd: false, rcode: 0, questions: [{ name: '.', type: TypeCode.NS!, class: 1 }], answers: [], authorities: [], additionals: [] }), response: false, ra: false };
    try {
      await u.queryUdp(encodeMessage(q), 1000);
      u.fails = 0;
    } catch {
      healthFailures.inc({ to: u.name });
    }
  };

  return {
    name: 'forward',
    upstreams,
    start() {
      healthTimer = setInterval(() => {
        for (const u of upstreams) if (u.fails >= opts.maxFails) void probe(u);
      }, opts.healthCheckMs);
      healthTimer.unref();
    },
    stop() {
      if (healthTimer) clearInterval(healthTimer);
      for (const u of upstreams) u.close();
    },
    async handle(req, next) {
      if (!inZone(req.qname, opts.zone) || opts.except.some((z) => inZone(req.qname, z))) return next(req);
      if (inflight >= opts.maxConcurrent) {
        maxConcurrentRejects.inc();
        return { msg: replyTo(req.msg, Rcode.REFUSED) };
      }
      inflight++;
      try {
        const query: DnsMessage = { ...req.msg, id: req.msg.id, edns: { udpSize: ADVERTISED_UDP_SIZE, version: 0, dnssecOk: req.msg.edns?.dnssecOk ?? false } };
        const wire = encodeMessage(query);
        const deadline = Date.now() + opts.timeoutMs;
        const list = order();
        for (let i = 0; i < list.length; i++) {
          const u = list[i]!;
          const left = deadline - Date.now();
          if (left <= 0) break;
          const budget = i === list.length - 1 ? left : Math.max(Math.floor(left / 2), Math.min(left, 500));
          const t0 = performance.now();
          requests.inc({ to: u.name });
          try {
            let raw = req.proto === 'tcp' ? await u.queryTcp(wire, budget) : await u.queryUdp(wire, budget);
            let msg = decodeMessage(raw);
            if (msg.tc && req.proto === 'udp' && Date.now() < deadline) {
              raw = await u.queryTcp(wire, Math.max(1, deadline - Date.now()));
              msg = decodeMessage(raw);
            }
            u.fails = 0;
            responses.inc({ to: u.name, rcode: rcodeName(msg.rcode) });
            duration.observe({ to: u.name, rcode: rcodeName(msg.rcode) }, (performance.now() - t0) / 1000);
            msg.id = req.msg.id;
            return { msg };
          } catch (err) {
            u.fails++;
            opts.log.debug('upstream failed', { upstream: u.name, qname: req.question.name, error: String(err) });
          }
        }
        opts.log.warn('no upstream answered', { qname: req.question.name, upstreams: list.map((u) => u.name) });
        return { msg: replyTo(req.msg, Rcode.SERVFAIL) };
      } finally {
        inflight--;
      }
    },
  };
}
