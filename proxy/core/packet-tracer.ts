import { ruleTarget, type Dump, type DumpChain } from '../../kernel/iptables-dump.js';
import { cidrContains, parseCidr } from './ipv4.js';

/** A simulated first packet of a connection. */
export interface Packet {
  src: string;
  proto: 'tcp' | 'udp' | 'sctp';
  dst: string;
  dport: number;
}

export interface TraceOptions {
  /** Addresses of the node (what `-m addrtype --*-type LOCAL` and routing call local). 127.0.0.0/8 is always local. */
  nodeAddresses: readonly string[];
  /** `local`: sent by a process on the node (OUTPUT); `remote`: arrives from a pod or another host (PREROUTING). Default: local when `src` is a node address. */
  origin?: 'local' | 'remote';
  /** `recent` lists the client is already in (a returning client with session affinity). */
  recent?: ReadonlySet<string>;
}

/** One rule that matched, or a chain's end, on the way. */
export interface TraceStep {
  table: string;
  chain: string;
  /** The rule text, or `(policy ACCEPT)` / `(end of chain)`. */
  rule: string;
}

export type Verdict = 'endpoint' | 'ACCEPT' | 'REJECT' | 'DROP';

/** One possible fate of the packet (several when `statistic` rules split traffic). */
export interface TraceOutcome {
  probability: number;
  /** `endpoint`: DNATed to `destination`; `ACCEPT`: delivered unchanged to `destination`. */
  verdict: Verdict;
  destination: string;
  masqueraded: boolean;
  /** Path through the tables and chains, in order. */
  steps: TraceStep[];
  /** Matches the tracer could not evaluate and assumed true. */
  assumptions: string[];
}

interface State {
  dst: string;
  dport: number;
  mark: number;
  dnat: boolean;
  masq: boolean;
  prob: number;
  steps: TraceStep[];
  assumptions: string[];
}

type Result = 'continue' | 'ACCEPT' | 'DROP' | 'REJECT';

const clone = (s: State): State => ({ ...s, steps: [...s.steps], assumptions: [...s.assumptions] });

const MAX_DEPTH = 64;

/**
 * Walks a packet through the nat and filter tables of a dump the way netfilter would for the first
 * packet of a connection (ctstate NEW): PREROUTING → INPUT/FORWARD → POSTROUTING for packets from
 * pods or other hosts, OUTPUT → POSTROUTING for packets the node sends. `statistic` matches fork the
 * walk, so the result lists every endpoint the packet may reach with its probability.
 */
export function tracePacket(dump: Dump, pkt: Packet, opts: TraceOptions): TraceOutcome[] {
  const locals = new Set(opts.nodeAddresses);
  const isLocal = (ip: string) => locals.has(ip) || ip.startsWith('127.');
  const origin = opts.origin ?? (isLocal(pkt.src) ? 'local' : 'remote');
  const recent = opts.recent ?? new Set<string>();
  const ctx = { dump, pkt, isLocal, recent };
  let states: State[] = [{ dst: pkt.dst, dport: pkt.dport, mark: 0, dnat: false, masq: false, prob: 1, steps: [], assumptions: [] }];
  const done: { st: State; verdict: Result }[] = [];

  const hook = (table: string, chain: string | ((s: State) => string)) => {
    const next: State[] = [];
    for (const st of states) {
      const c = typeof chain === 'string' ? chain : chain(st);
      for (const [s2, r] of runBuiltin(ctx, table, c, st)) {
        if (r === 'DROP' || r === 'REJECT') done.push({ st: s2, verdict: r });
        else next.push(s2);
      }
    }
    states = next;
  };

  if (origin === 'local') {
    hook('nat', 'OUTPUT');
    hook('filter', 'OUTPUT');
    hook('nat', 'POSTROUTING');
  } else {
    hook('nat', 'PREROUTING');
    hook('filter', (s) => (isLocal(s.dst) ? 'INPUT' : 'FORWARD'));
    states = states.filter((s) => {
      if (isLocal(s.dst)) done.push({ st: s, verdict: 'ACCEPT' });
      return !isLocal(s.dst);
    });
    hook('nat', 'POSTROUTING');
  }
  for (const st of states) done.push({ st, verdict: 'ACCEPT' });

  return done.map(({ st, verdict }) => ({
    probability: st.prob,
    verdict: verdict === 'ACCEPT' || verdict === 'continue' ? (st.dnat ? 'endpoint' : 'ACCEPT') : verdict,
    destination: `${st.dst}:${st.dport}`,
    masqueraded: st.masq,
    steps: st.steps,
    assumptions: [...new Set(st.assumptions)],
  }));
}

/** Sums outcomes that end the same way (verdict, destination, masquerade), for tables of expectations. */
export function summarize(outcomes: readonly TraceOutcome[]): { verdict: Verdict; destination: string; masqueraded: boolean; probability: number }[] {
  const m = new Map<string, { verdict: Verdict; destination: string; masqueraded: boolean; probability: number }>();
  for (const o of outcomes) {
    const key = `${o.verdict} ${o.verdict === 'REJECT' || o.verdict === 'DROP' ? '' : o.destination} ${o.masqueraded}`;
    const cur = m.get(key);
    if (cur) cur.probability += o.probability;
    else m.set(key, { verdict: o.verdict, destination: o.verdict === 'REJECT' || o.verdict === 'DROP' ? '' : o.destination, masqueraded: o.masqueraded, probability: o.probability });
  }
  return [...m.values()].sort((a, b) => (a.destination < b.destination ? -1 : a.destination > b.destination ? 1 : 0));
}

interface Ctx {
  dump: Dump;
  pkt: Packet;
  isLocal: (ip: string) => boolean;
  recent: ReadonlySet<string>;
}

function runBuiltin(ctx: Ctx, table: string, chain: string, st: State): [State, Result][] {
  const c = ctx.dump.get(table)?.chains.get(chain);
  if (!c) return [[st, 'continue']];
  return runChain(ctx, table, c, st, 0).map(([s, r]) => {
    if (r === 'continue') {
      s.steps.push({ table, chain, rule: `(policy ${c.policy})` });
      return [s, c.policy === 'DROP' ? 'DROP' : 'ACCEPT'];
    }
    return [s, r];
  });
}

type MatchResult = boolean | { probability: number };

function runChain(ctx: Ctx, table: string, chain: DumpChain, start: State, depth: number): [State, Result][] {
  const results: [State, Result][] = [];
  if (depth > MAX_DEPTH) {
    start.assumptions.push(`chain nesting deeper than ${MAX_DEPTH} at ${chain.name}`);
    return [[start, 'DROP']];
  }
  const walk = (st: State, from: number): void => {
    for (let i = from; i < chain.rules.length; i++) {
      const rule = chain.rules[i]!;
      const m = matchRule(ctx, rule.args, st);
      if (m === false) continue;
      if (m !== true) {
        const miss = clone(st);
        miss.prob *= 1 - m.probability;
        walk(miss, i + 1);
        st.prob *= m.probability;
      }
      st.steps.push({ table, chain: chain.name, rule: rule.text });
      const t = ruleTarget(rule.args);
      if (!t) continue;
      const target = t.target;
      const arg = (name: string) => {
        const k = rule.args.indexOf(name);
        return k >= 0 ? rule.args[k + 1] : undefined;
      };
      switch (target) {
        case 'ACCEPT':
        case 'DROP':
        case 'REJECT':
          results.push([st, target]);
          return;
        case 'RETURN':
          results.push([st, 'continue']);
          return;
        case 'DNAT': {
          const to = arg('--to-destination') ?? '';
          const colon = to.lastIndexOf(':');
          if (colon > 0) {
            st.dst = to.slice(0, colon);
            st.dport = Number(to.slice(colon + 1));
          } else if (to) st.dst = to;
          st.dnat = true;
          results.push([st, 'ACCEPT']);
          return;
        }
        case 'MASQUERADE':
        case 'SNAT':
          st.masq = true;
          results.push([st, 'ACCEPT']);
          return;
        case 'MARK':
          applyMark(rule.args, st);
          continue;
        case 'LOG':
        case 'NFLOG':
        case 'CONNMARK':
        case 'TRACE':
          continue;
        default: {
          const sub = ctx.dump.get(table)?.chains.get(target);
          if (!sub) {
            st.assumptions.push(`unknown target ${target} treated as no-op`);
            continue;
          }
          for (const [s2, r] of runChain(ctx, table, sub, st, depth + 1)) {
            if (r !== 'continue') results.push([s2, r]);
            else if (t.goto) results.push([s2, 'continue']);
            else walk(s2, i + 1);
          }
          return;
        }
      }
    }
    results.push([st, 'continue']);
  };
  walk(start, 0);
  return results;
}

function applyMark(args: readonly string[], st: State): void {
  for (let i = 0; i < args.length - 1; i++) {
    const [v, m] = args[i + 1]!.split('/').map((x) => Number(x)) as [number, number | undefined];
    const mask = m ?? 0xffffffff;
    switch (args[i]) {
      case '--or-mark':
        st.mark = (st.mark | v) >>> 0;
        break;
      case '--xor-mark':
        st.mark = (st.mark ^ v) >>> 0;
        break;
      case '--and-mark':
        st.mark = (st.mark & v) >>> 0;
        break;
      case '--set-xmark':
        st.mark = ((st.mark & ~mask) ^ v) >>> 0;
        break;
      case '--set-mark':
        st.mark = ((st.mark & ~mask) | v) >>> 0;
        break;
    }
  }
}

const inCidr = (spec: string, ip: string): boolean => {
  const c = parseCidr(spec);
  return c !== null && cidrContains(c, ip);
};

const portIn = (spec: string, port: number): boolean =>
  spec.split(',').some((part) => {
    const [a, b] = part.split(':');
    return b === undefined ? Number(a) === port : port >= Number(a || 0) && port <= Number(b || 65535);
  });

/** Evaluates every match of one rule; a `statistic` match yields its probability instead of a boolean. */
function matchRule(ctx: Ctx, args: readonly string[], st: State): MatchResult {
  let result: MatchResult = true;
  let neg = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '!') {
      neg = true;
      continue;
    }
    const v = args[i + 1] ?? '';
    let ok: boolean | undefined;
    switch (a) {
      case '-s':
      case '--source':
        ok = inCidr(v, ctx.pkt.src);
        i++;
        break;
      case '-d':
      case '--destination':
        ok = inCidr(v, st.dst);
        i++;
        break;
      case '-p':
      case '--protocol':
        ok = v === ctx.pkt.proto || v === 'all';
        i++;
        break;
      case '--dport':
      case '--dports':
      case '--destination-port':
        ok = portIn(v, st.dport);
        i++;
        break;
      case '--sport':
      case '--sports':
        st.assumptions.push('source port assumed to match');
        i++;
        break;
      case '--dst-type':
        ok = v === 'LOCAL' ? ctx.isLocal(st.dst) : false;
        i++;
        break;
      case '--src-type':
        ok = v === 'LOCAL' ? ctx.isLocal(ctx.pkt.src) : false;
        i++;
        break;
      case '--ctstate':
      case '--state':
        ok = v.split(',').includes('NEW');
        i++;
        break;
      case '--mark': {
        const [val, mask] = v.split('/').map((x) => Number(x)) as [number, number | undefined];
        ok = ((st.mark & (mask ?? 0xffffffff)) >>> 0) === val;
        i++;
        break;
      }
      case '--probability': {
        const p = Number(v);
        i++;
        if (neg) throw new Error('negated statistic is not supported');
        result = { probability: p };
        break;
      }
      case '--rcheck':
      case '--update': {
        const k = args.indexOf('--name', i);
        ok = ctx.recent.has(k >= 0 ? (args[k + 1] ?? 'DEFAULT') : 'DEFAULT');
        break;
      }
      case '-i':
      case '-o':
      case '--in-interface':
      case '--out-interface':
        st.assumptions.push(`interface match ${a} ${v} assumed true`);
        i++;
        break;
      case '--comment':
      case '-m':
      case '--match':
        i++;
        break;
      case '-j':
      case '-g':
      case '--jump':
      case '--goto':
        return result;
      default:
        break;
    }
    if (ok !== undefined) {
      if (ok === neg) return false;
    }
    neg = false;
  }
  return result;
}
