/** Small IPv4/CIDR helpers for the overlay's pure core (no I/O). */

export interface Cidr4 {
  /** Network address as an unsigned 32-bit number. */
  base: number;
  bits: number;
}

const IP_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function parseIp4(s: string): number | null {
  const m = IP_RE.exec(s);
  if (!m) return null;
  const o = m.slice(1).map(Number);
  if (o.some((x) => x > 255)) return null;
  return ((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0;
}

export const formatIp4 = (n: number): string => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');

const maskOf = (bits: number) => (bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0);

/** Parses `a.b.c.d/n`; the host bits are cleared. Null when not an IPv4 CIDR. */
export function parseCidr4(s: string): Cidr4 | null {
  const [ip, len, extra] = s.split('/');
  if (extra !== undefined || ip === undefined || len === undefined || !/^\d{1,2}$/.test(len)) return null;
  const n = parseIp4(ip);
  const bits = Number(len);
  if (n === null || bits > 32) return null;
  return { base: (n & maskOf(bits)) >>> 0, bits };
}

export const formatCidr4 = (c: Cidr4): string => `${formatIp4(c.base)}/${c.bits}`;

export function cidrContainsIp(c: Cidr4, ip: number): boolean {
  return ((ip & maskOf(c.bits)) >>> 0) === c.base;
}

/** True when `inner` lies entirely inside `outer`. */
export function cidrContains(outer: Cidr4, inner: Cidr4): boolean {
  return inner.bits >= outer.bits && cidrContainsIp(outer, inner.base);
}
