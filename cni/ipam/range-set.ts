import type { RangeConfig } from '../plugin/config.js';
import { contains, intToIp, ipToInt, parseCidr, type Cidr } from './ipv4.js';

/** A range with every default applied, in integers (pure data, no I/O). */
export interface ResolvedRange {
  subnet: Cidr;
  start: number;
  end: number;
  gateway: number;
}

/**
 * Applies host-local's defaults and rules: rangeStart = network + 1, rangeEnd = broadcast − 1,
 * gateway = network + 1; /31 and /32 are rejected; start, end and gateway must lie in the subnet.
 * Throws an Error naming the offending field.
 */
export function resolveRange(r: RangeConfig, field: string): ResolvedRange {
  const subnet = parseCidr(r.subnet);
  if (subnet.prefix > 30) throw new Error(`${field}.subnet: ${r.subnet} is too small (a /30 is the smallest usable network)`);
  const inside = (name: string, v: string | undefined, dflt: number): number => {
    if (v === undefined) return dflt;
    const n = ipToInt(v);
    if (!contains(subnet, n)) throw new Error(`${field}.${name}: ${v} is outside ${r.subnet}`);
    return n;
  };
  const start = inside('rangeStart', r.rangeStart, subnet.network + 1);
  const end = inside('rangeEnd', r.rangeEnd, subnet.broadcast - 1);
  if (start > end) throw new Error(`${field}: rangeStart ${r.rangeStart} is after rangeEnd ${r.rangeEnd}`);
  return { subnet, start, end, gateway: inside('gateway', r.gateway, subnet.network + 1) };
}

/** True when `ip` is an address the set may hand out (in a range, not network/broadcast/gateway). */
export function allocatable(set: readonly ResolvedRange[], ip: number): boolean {
  return set.some((r) => ip >= r.start && ip <= r.end && ip !== r.gateway && ip !== r.subnet.network && ip !== r.subnet.broadcast);
}

/** The range of `set` containing `ip`. */
export const rangeOf = (set: readonly ResolvedRange[], ip: number): ResolvedRange | undefined =>
  set.find((r) => ip >= r.start && ip <= r.end);

/**
 * The next free address after `last` (round robin, as host-local does, so a just-released IP is
 * not reused at once), or undefined when every address is reserved.
 */
export function nextFree(set: readonly ResolvedRange[], reserved: (ip: string) => boolean, last?: string): number | undefined {
  const all: [number, number][] = set.map((r) => [r.start, r.end]);
  const total = all.reduce((n, [s, e]) => n + (e - s + 1), 0);
  let pos = 0;
  if (last !== undefined) {
    const l = ipToInt(last);
    let off = 0;
    for (const [s, e] of all) {
      if (l >= s && l <= e) {
        pos = off + (l - s) + 1;
        break;
      }
      off += e - s + 1;
    }
  }
  for (let i = 0; i < total; i++) {
    let k = (pos + i) % total;
    let ip = 0;
    for (const [s, e] of all) {
      const n = e - s + 1;
      if (k < n) {
        ip = s + k;
        break;
      }
      k -= n;
    }
    if (allocatable(set, ip) && !reserved(intToIp(ip))) return ip;
  }
  return undefined;
}
