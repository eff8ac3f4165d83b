/**
 * Range arithmetic for the allocators: CIDRs (via ip-address) as an offset space of addresses or
 * of fixed-size subnets, and NodePort ranges (`30000-32767`). Flags parse through these so a bad
 * value fails at start with the field named.
 */
import { Address4, Address6 } from 'ip-address';
import { ControllerError } from '../errors.js';

/** A CIDR as a base address and an address count, in one family. */
export interface Cidr {
  readonly text: string;
  readonly family: 4 | 6;
  readonly base: bigint;
  readonly prefix: number;
  readonly bits: 32 | 128;
}

export function parseCidr(text: string, what = 'cidr'): Cidr {
  const [addr, prefixText] = text.split('/');
  if (!addr || prefixText === undefined || !/^\d{1,3}$/.test(prefixText)) {
    throw new ControllerError('InvalidRange', `${what}: ${JSON.stringify(text)} is not a CIDR such as 10.96.0.0/12`);
  }
  const prefix = Number(prefixText);
  let family: 4 | 6;
  let value: bigint;
  if (Address4.isValid(addr)) {
    family = 4;
    value = new Address4(addr).bigInt();
  } else if (Address6.isValid(addr)) {
    family = 6;
    value = new Address6(addr).bigInt();
  } else {
    throw new ControllerError('InvalidRange', `${what}: ${JSON.stringify(addr)} is not an IP address`);
  }
  const bits = family === 4 ? 32 : 128;
  if (prefix > bits) throw new ControllerError('InvalidRange', `${what}: prefix /${prefix} longer than ${bits} bits`);
  const host = BigInt(bits - prefix);
  const base = (value >> host) << host;
  return { text: `${formatIp(base, family)}/${prefix}`, family, base, prefix, bits };
}

export function formatIp(value: bigint, family: 4 | 6): string {
  return family === 4 ? Address4.fromBigInt(value).correctForm() : Address6.fromBigInt(value).correctForm();
}

/** The numeric value of `ip` in the CIDR's family, or undefined if it is not such an address. */
export function parseIp(ip: string, family: 4 | 6): bigint | undefined {
  if (family === 4) return Address4.isValid(ip) && !ip.includes('/') ? new Address4(ip).bigInt() : undefined;
  return Address6.isValid(ip) && !ip.includes('/') ? new Address6(ip).bigInt() : undefined;
}

/** Addresses of a CIDR, capped so a huge IPv6 range still gives a usable bitmap. */
export function addressCount(c: Cidr, cap = 1 << 20): number {
  const n = 1n << BigInt(c.bits - c.prefix);
  return n > BigInt(cap) ? cap : Number(n);
}

/** A range of ports, inclusive. */
export interface PortRange {
  readonly base: number;
  readonly size: number;
}

export function parsePortRange(text: string, what = 'port range'): PortRange {
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(text.trim()) ?? /^(\d{1,5})\+(\d{1,5})$/.exec(text.trim());
  if (!m) throw new ControllerError('InvalidRange', `${what}: ${JSON.stringify(text)} is not a range such as 30000-32767`);
  const lo = Number(m[1]);
  const hi = text.includes('+') ? lo + Number(m[2]) : Number(m[2]);
  if (lo < 1 || hi > 65535 || hi < lo) throw new ControllerError('InvalidRange', `${what}: ${text} must lie within 1-65535, low end first`);
  return { base: lo, size: hi - lo + 1 };
}
