import { sha256Hex as hex } from './sha256.js';

/** Host-side veth name: `sxv` + 12 hex of sha256(containerID, ifname); stable, so DEL and GC find it. */
export const hostVethName = (containerId: string, ifName: string): string => `sxv${hex(`${containerId}\0${ifName}`).slice(0, 12)}`;

/** Per-attachment masquerade chain: `SX-MASQ-` + 20 hex (28 chars, iptables' limit). */
export const masqChainName = (network: string, containerId: string, ifName: string): string =>
  `SX-MASQ-${hex(`${network}\0${containerId}\0${ifName}`).slice(0, 20).toUpperCase()}`;

export const MASQ_CHAIN_PREFIX = 'SX-MASQ-';
export const HOST_VETH_PREFIX = 'sxv';

/**
 * A random locally administered unicast MAC, so ADD knows every MAC without reading it back.
 * Math.random is enough here (uniqueness on one L2 segment, not secrecy) and spares loading
 * node:crypto at start-up.
 */
export function randomMac(): string {
  const b = Array.from({ length: 6 }, () => Math.floor(Math.random() * 256));
  b[0] = (b[0]! & 0xfe) | 0x02;
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}
