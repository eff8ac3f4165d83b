/** IPv4 arithmetic on unsigned 32-bit numbers (the IPAM works in integers, renders strings). */
export function ipToInt(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4) throw new Error(`"${ip}" is not an IPv4 address`);
  let n = 0;
  for (const p of parts) {
    const o = Number(p);
    if (!/^\d{1,3}$/.test(p) || o > 255) throw new Error(`"${ip}" is not an IPv4 address`);
    n = n * 256 + o;
  }
  return n;
}

export function intToIp(n: number): string {
  return `${Math.floor(n / 16777216) % 256}.${Math.floor(n / 65536) % 256}.${Math.floor(n / 256) % 256}.${n % 256}`;
}

/** A parsed CIDR: the network address, prefix length and broadcast address as integers. */
export interface Cidr {
  network: number;
  prefix: number;
  broadcast: number;
}

/** Parses `a.b.c.d/len`, masking host bits (10.244.1.1/24 → network 10.244.1.0). */
export function parseCidr(cidr: string): Cidr {
  const [ip, len] = cidr.split('/');
  const prefix = Number(len);
  if (!ip || !/^\d{1,2}$/.test(len ?? '') || prefix > 32) throw new Error(`"${cidr}" is not an IPv4 CIDR`);
  const size = 2 ** (32 - prefix);
  const network = Math.floor(ipToInt(ip) / size) * size;
  return { network, prefix, broadcast: network + size - 1 };
}

export const cidrString = (c: Cidr): string => `${intToIp(c.network)}/${c.prefix}`;
export const contains = (c: Cidr, ip: number): boolean => ip >= c.network && ip <= c.broadcast;
