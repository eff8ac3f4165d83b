/**
 * Name arithmetic for the cluster zone: reverse-lookup names (in-addr.arpa and full-nibble
 * ip6.arpa) and the dashed form of an address used for endpoint and pod names.
 */
import { ipv6Bytes } from '../../codec.js';

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export const isIPv4 = (ip: string): boolean => {
  const m = IPV4.exec(ip);
  return !!m && m.slice(1).every((o) => Number(o) <= 255);
};

export function isIPv6(ip: string): boolean {
  if (!ip.includes(':')) return false;
  try {
    ipv6Bytes(ip);
    return true;
  } catch {
    return false;
  }
}

/** `10.0.0.1` → `1.0.0.10.in-addr.arpa`; IPv6 → 32 nibbles under ip6.arpa. Lower case. */
export function reverseName(ip: string): string {
  if (isIPv4(ip)) return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
  const bytes = ipv6Bytes(ip);
  const nibbles: string[] = [];
  for (let i = 15; i >= 0; i--) {
    const b = bytes[i]!;
    nibbles.push((b & 0xf).toString(16), (b >> 4).toString(16));
  }
  return `${nibbles.join('.')}.ip6.arpa`;
}

/** Canonical text of an IP (IPv6 compressed, lower case), so equal addresses compare equal. */
export function canonicalIP(ip: string): string {
  if (isIPv4(ip)) return ip.split('.').map(Number).join('.');
  const b = ipv6Bytes(ip);
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i]! << 8) | b[i + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** `10.1.2.3` → `10-1-2-3`, `fd00::1` → `fd00--1`: the label CoreDNS gives an address. */
export const dashedIP = (ip: string): string => canonicalIP(ip).replace(/[.:]/g, '-');

/**
 * The address a pod query label spells (`10-1-2-3`, or dashed IPv6), or undefined when the label
 * is not an address.
 */
export function ipFromDashed(label: string): string | undefined {
  const v4 = label.replace(/-/g, '.');
  if (isIPv4(v4)) return canonicalIP(v4);
  const v6 = label.replace(/-/g, ':');
  if (isIPv6(v6)) return canonicalIP(v6);
  return undefined;
}
