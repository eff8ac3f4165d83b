import { createHash } from 'node:crypto';
import type { Protocol, ServicePortName } from './service-port.js';

/** Our fixed chain prefix: everything named `SX-...` is Sextant's and nothing else is. */
export const PREFIX = 'SX-';

/** Top-level chains, written on every sync. */
export const CHAINS = {
  services: 'SX-SERVICES',
  externalServices: 'SX-EXTERNAL-SERVICES',
  nodePorts: 'SX-NODEPORTS',
  postrouting: 'SX-POSTROUTING',
  markMasq: 'SX-MARK-MASQ',
  forward: 'SX-FORWARD',
  canary: 'SX-PROXY-CANARY',
} as const;

/** The packet mark bit that asks SX-POSTROUTING to masquerade (kube-proxy's default bit 14). */
export const MASQ_MARK = '0x4000';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 (upper case, no padding needed for our prefix use). */
export function base32(bytes: Uint8Array): string {
  let out = '';
  let value = 0;
  let bits = 0;
  for (const b of bytes) {
    value = ((value & 0xff) << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

/** First 16 base32 characters of sha256(text): short, stable, and readable like kube-proxy's. */
export const hash16 = (text: string): string => base32(createHash('sha256').update(text).digest()).slice(0, 16);

export type ServiceChainKind = 'SVC' | 'SVL' | 'EXT' | 'FW';

/** `<prefix><kind>-<hash16(spn + protocol)>`; `prefix` is a parameter so tests can check kube-proxy's own names. */
export const serviceChain = (kind: ServiceChainKind, spn: ServicePortName, protocol: Protocol, prefix = PREFIX): string =>
  `${prefix}${kind}-${hash16(spn + protocol)}`;

/** `<prefix>SEP-<hash16(spn + protocol + "ip:port")>`. */
export const endpointChain = (spn: ServicePortName, protocol: Protocol, endpoint: string, prefix = PREFIX): string =>
  `${prefix}SEP-${hash16(spn + protocol + endpoint)}`;

/** Chains a Service owns (rewritten only when it changes, deleted when stale). */
export const isServiceChain = (chain: string): boolean => /^SX-(SVC|SVL|EXT|FW|SEP)-/.test(chain);
