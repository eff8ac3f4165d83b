/** Minimal IPv4 helpers for rule building and packet tracing (no I/O, no allocation-heavy parsing). */

/** Parses dotted-quad IPv4 into an unsigned 32-bit number, or null when it is not IPv4. */
export function parseIPv4(text: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return null;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const o = Number(m[i]);
    if (o > 255) return null;
    n = n * 256 + o;
  }
  return n;
}

export const isIPv4 = (text: string): boolean => parseIPv4(text) !== null;

/** An IPv4 prefix `a.b.c.d/len` (a bare address is /32). */
export interface Cidr {
  base: number;
  bits: number;
}

export function parseCidr(text: string): Cidr | null {
  const [addr, len] = text.split('/');
  const base = parseIPv4(addr ?? '');
  const bits = len === undefined ? 32 : Number(len);
  if (base === null || !Number.isInteger(bits) || bits < 0 || bits > 32) return null;
  return { base: maskOf(base, bits), bits };
}

const maskOf = (n: number, bits: number): number => (bits === 0 ? 0 : Number((BigInt(n) >> BigInt(32 - bits)) << BigInt(32 - bits)));

export function cidrContains(c: Cidr, ip: string): boolean {
  const n = parseIPv4(ip);
  return n !== null && maskOf(n, c.bits) === c.base;
}

/** Renders an address the way iptables-save prints a host match (`10.0.0.1/32`). */
export const hostCidr = (ip: string): string => (ip.includes('/') ? ip : `${ip}/32`);
