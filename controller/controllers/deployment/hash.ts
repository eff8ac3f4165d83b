/**
 * The `pod-template-hash` of a Deployment's pod template: FNV-1a (32-bit) over the template's
 * canonical JSON plus the collision count, written with Kubernetes' vowel-free alphabet so the
 * value never spells words and stays a valid label value and name suffix.
 */
import type { PodTemplateSpec } from '../../api/index.js';

export const POD_TEMPLATE_HASH = 'pod-template-hash';
const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  const bytes = Buffer.from(text, 'utf8');
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The template without the hash label (so a ReplicaSet's template compares to the deployment's). */
export function templateWithoutHash(t: PodTemplateSpec | undefined): PodTemplateSpec | undefined {
  if (!t) return t;
  const c = structuredClone(t);
  if (c.metadata?.labels) {
    delete c.metadata.labels[POD_TEMPLATE_HASH];
    if (Object.keys(c.metadata.labels).length === 0) delete c.metadata.labels;
  }
  return c;
}

export function podTemplateHash(t: PodTemplateSpec, collisionCount = 0): string {
  const n = fnv1a(canonicalJson(templateWithoutHash(t)) + (collisionCount ? `#${collisionCount}` : ''));
  let out = '';
  let x = n;
  do {
    out += ALPHABET[x % ALPHABET.length];
    x = Math.floor(x / ALPHABET.length);
  } while (x > 0);
  return out;
}
