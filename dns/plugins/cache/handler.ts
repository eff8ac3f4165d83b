/**
 * cache: keeps answers from the plugins after it (in practice, forward) for their TTL, capped at
 * `maxTtl` (success) or `maxDenialTtl` (NXDOMAIN/NODATA, from the SOA minimum), at least `minTtl`;
 * SERVFAIL for `servfailTtl`. Bounded per kind; the oldest entry goes first. Answers a zone plugin
 * marks stable (kubernetes, external) are not kept here — the server's packet cache holds them and
 * drops them the moment the cluster changes, so a new Service is never hidden by a cached NXDOMAIN.
 * A hit has its TTLs lowered by the time spent in the cache.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Plugin, Reply } from '../../chain.js';
import { Rcode, type DnsMessage, type ResourceRecord } from '../../message.js';

export interface CacheOptions {
  successCapacity: number;
  denialCapacity: number;
  maxTtl: number;
  maxDenialTtl: number;
  minTtl: number;
  servfailTtl: number;
  registry?: Registry;
  now?: () => number;
}

interface Entry { msg: DnsMessage; storedAt: number; expiresAt: number }

export function cachePlugin(opts: CacheOptions): Plugin & { size(): number } {
  const now = opts.now ?? Date.now;
  const success = new Map<string, Entry>();
  const denial = new Map<string, Entry>();
  const reg = opts.registry ? [opts.registry] : [];
  const entries = new Gauge({ name: 'coredns_cache_entries', help: 'Entries in the cache.', labelNames: ['server', 'type'], registers: reg, collect() {
    this.set({ server: 'dns://', type: 'success' }, success.size);
    this.set({ server: 'dns://', type: 'denial' }, denial.size);
  } });
  void entries;
  const hits = new Counter({ name: 'coredns_cache_hits_total', help: 'Cache hits.', labelNames: ['server', 'type'], registers: reg });
  const misses = new Counter({ name: 'coredns_cache_misses_total', help: 'Cache misses.', labelNames: ['server'], registers: reg });
  const evictions = new Counter({ name: 'coredns_cache_evictions_total', help: 'Entries evicted for space.', labelNames: ['server', 'type'], registers: reg });

  const ttlOf = (msg: DnsMessage): { ttl: number; kind: 'success' | 'denial' } | undefined => {
    if (msg.tc) return undefined;
    if (msg.rcode === Rcode.SERVFAIL) return { ttl: opts.servfailTtl, kind: 'denial' };
    if (msg.rcode === Rcode.NXDOMAIN || (msg.rcode === Rcode.NOERROR && msg.answers.length === 0)) {
      const soa = msg.authorities.find((r) => r.type === 'SOA');
      const t = soa && soa.type === 'SOA' ? Math.min(soa.ttl, soa.data.minimum) : opts.minTtl;
      return { ttl: Math.max(opts.minTtl, Math.min(t, opts.maxDenialTtl)), kind: 'denial' };
    }
    if (msg.rcode !== Rcode.NOERROR) return undefined;
    const t = Math.min(...[...msg.answers, ...msg.authorities].map((r) => r.ttl));
    return { ttl: Math.max(opts.minTtl, Math.min(t, opts.maxTtl)), kind: 'success' };
  };

  const age = (rrs: ResourceRecord[], by: number, left: number): ResourceRecord[] => rrs.map((r) => ({ ...r, ttl: Math.max(0, Math.min(r.ttl - by, left)) }));

  return {
    name: 'cache',
    size: () => success.size + denial.size,
    async handle(req, next): Promise<Reply> {
      const key = `${req.question.type}/${req.question.class}/${req.msg.cd ? 1 : 0}/${req.qname}`;
      const t = now();
      const hit = success.get(key) ?? denial.get(key);
      if (hit && hit.expiresAt > t) {
        hits.inc({ server: 'dns://', type: success.has(key) ? 'success' : 'denial' });
        const aged = Math.floor((t - hit.storedAt) / 1000);
        const left = Math.ceil((hit.expiresAt - t) / 1000);
        const m = hit.msg;
        return { msg: { ...m, id: req.msg.id, rd: req.msg.rd, questions: req.msg.questions.slice(0, 1), answers: age(m.answers, aged, left), authorities: age(m.authorities, aged, left), additionals: age(m.additionals, aged, left) } };
      }
      if (hit) {
        success.delete(key);
        denial.delete(key);
      }
      misses.inc({ server: 'dns://' });
      const reply = await next(req);
      if (reply.stable || reply.transient) return reply;
      const life = ttlOf(reply.msg);
      if (life && life.ttl > 0) {
        const map = life.kind === 'success' ? success : denial;
        const cap = life.kind === 'success' ? opts.successCapacity : opts.denialCapacity;
        if (map.size >= cap) {
          const oldest = map.keys().next();
          if (!oldest.done) {
            map.delete(oldest.value);
            evictions.inc({ server: 'dns://', type: life.kind });
          }
        }
        map.set(key, { msg: reply.msg, storedAt: t, expiresAt: t + life.ttl * 1000 });
      }
      return reply;
    },
  };
}
