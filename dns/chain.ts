/**
 * The request chain, as CoreDNS builds it: an ordered list of plugins, each getting the request
 * and a `next` that runs the rest of the chain. A plugin answers, passes on, or wraps what comes
 * back (cache, loadbalance, errors). Plugins that only watch traffic (log, metrics) implement
 * `observe`, which the server calls for every response, including ones served from the packet cache.
 */
import { Rcode, replyTo, type DnsMessage, type Question } from './message.js';

export interface DnsRequest {
  msg: DnsMessage;
  /** The (only) question. */
  question: Question;
  /** The question name in lower case, without trailing dot: what zone matching uses. */
  qname: string;
  proto: 'udp' | 'tcp';
  remoteAddress: string;
  remotePort: number;
}

export interface Reply {
  msg: DnsMessage;
  /**
   * True when this exact answer holds until the next zone change, so the server may keep its
   * encoding in the packet cache (cleared on every change).
   */
  stable?: boolean;
  /**
   * True for an answer that must not be cached anywhere (the SERVFAIL the kubernetes plugin gives
   * before its informers synced: once synced, the same question has a real answer at once).
   */
  transient?: boolean;
}

export type Next = (req: DnsRequest) => Reply | Promise<Reply>;

/** What observers see for every answered query. */
export interface Observation {
  /** The question name; empty on the fast path unless an observer sets `observesNames`. */
  qname: string;
  qtype: number;
  proto: 'udp' | 'tcp';
  family: 4 | 6;
  remoteAddress: string;
  remotePort: number;
  rcode: number;
  requestSize: number;
  responseSize: number;
  durationSeconds: number;
  /** True when the packet cache answered. */
  fast: boolean;
  answerCount: number;
}

export interface Plugin {
  readonly name: string;
  handle?(req: DnsRequest, next: Next): Reply | Promise<Reply>;
  observe?(o: Observation): void;
  /** True when `observe` reads `qname` (spelling it out costs time on the packet-cache path). */
  observesNames?: boolean;
  /** Called once the server listens; may refuse to run by throwing (the loop plugin does). */
  start?(ctx: StartContext): Promise<void> | void;
  stop?(): Promise<void> | void;
  /** For /ready: null when ready, else why not. */
  notReady?(): string | null;
  /** The HTTP port a plugin serves on once started (health, ready, metrics), for logs and tests. */
  port?(): number;
}

export interface StartContext {
  /** The address the DNS server listens on, for the loop probe. */
  listen: { host: string; port: number };
}

/** Composes the plugins' handlers into one function; past the last plugin the answer is REFUSED. */
export function buildChain(plugins: readonly Plugin[]): Next {
  const handlers = plugins.filter((p) => p.handle);
  const end: Next = (req) => ({ msg: replyTo(req.msg, Rcode.REFUSED) });
  let next = end;
  for (let i = handlers.length - 1; i >= 0; i--) {
    const p = handlers[i]!;
    const rest = next;
    next = (req) => p.handle!(req, rest);
  }
  return next;
}

/** Whether `name` (lower case, no trailing dot) is `zone` or below it; the root zone is ".". */
export function inZone(name: string, zone: string): boolean {
  if (zone === '.' || zone === '') return true;
  return name === zone || (name.length > zone.length && name.endsWith(zone) && name[name.length - zone.length - 1] === '.');
}

/** The most specific of `zones` that contains `name`, or undefined. */
export function matchZone(name: string, zones: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const z of zones) if (inZone(name, z) && (best === undefined || z.length > best.length || best === '.')) best = z;
  return best;
}

/** Normalises a configured zone or name: lower case, no trailing dot, "." for the root. */
export function normalizeName(name: string): string {
  const n = name.toLowerCase().replace(/\.$/, '');
  return n === '' ? '.' : n;
}
