import { createHash, randomBytes } from 'node:crypto';

const hex = (s: string) => createHash('sha256').update(s).digest('hex');

/** Host-side veth name: `sxv` + 12 hex of sha256(containerID, ifname); stable, so DEL and GC find it. */
export const hostVethName = (containerId: string, ifName: string): string => `sxv${hex(`${containerId}\0${ifName}`).slice(0, 12)}`;

/** Per-attachment masquerade chain: `SX-MASQ-` + 20 hex (28 chars, iptables' limit). */
export const masqChainName = (network: string, containerId: string, ifName: string): string =>
  `SX-MASQ-${hex(`${network}\0${containerId}\0${ifName}`).slice(0, 20).toUpperCase()}`;

export const MASQ_CHAIN_PREFIX = 'SX-MASQ-';
export const HOST_VETH_PREFIX = 'sxv';

/** A random locally administered unicast MAC, so ADD knows every MAC without reading it back. */
export function randomMac(): string {
  const b = randomBytes(6);
  b[0] = (b[0]! & 0xfe) | 0x02;
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}
