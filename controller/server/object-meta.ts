/**
 * The server-owned parts of ObjectMeta: what create sets (uid, creationTimestamp, generation,
 * a name from generateName), what update keeps from the stored object, and when generation
 * moves. Pure functions over JSON objects.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { jsonEqual } from '../api/json-equal.js';
import type { StoredObject } from '../store/store.js';

export type Meta = Record<string, unknown> & {
  name?: string;
  namespace?: string;
  generateName?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
};

export const metaOf = (obj: StoredObject): Meta => {
  if (typeof obj.metadata !== 'object' || obj.metadata === null || Array.isArray(obj.metadata)) obj.metadata = {};
  return obj.metadata as Meta;
};

/** RFC 3339 with second precision, as Kubernetes writes timestamps. */
export function rfc3339(ms = Date.now()): string {
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastSecond = second;
    lastText = new Date(second * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  return lastText;
}
/** The last second formatted (creates come in bursts within the same second). */
let lastSecond = NaN;
let lastText = '';

const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
/** Kubernetes' generateName suffix: 5 characters from an alphabet without vowels or look-alikes. */
export function randomSuffix(): string {
  const bytes = randomBytes(5);
  let s = '';
  for (const b of bytes) s += alphabet[b % alphabet.length];
  return s;
}

/** Sets the fields a create owns; clients cannot choose them. */
export function prepareForCreate(obj: StoredObject): void {
  const meta = metaOf(obj);
  if (!meta.name && meta.generateName) meta.name = meta.generateName + randomSuffix();
  meta.uid = randomUUID();
  meta.creationTimestamp = rfc3339();
  meta.generation = 1;
  delete meta.resourceVersion;
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  delete meta.selfLink;
}

/** Everything but metadata and status: a change here is a new desired state (generation + 1). */
export function desiredStateChanged(oldObj: StoredObject, newObj: StoredObject): boolean {
  const keys = new Set([...Object.keys(oldObj), ...Object.keys(newObj)]);
  for (const k of keys) {
    if (k === 'metadata' || k === 'status' || k === 'apiVersion' || k === 'kind') continue;
    if (!jsonEqual(oldObj[k], newObj[k])) return true;
  }
  return false;
}

/** Carries the immutable and server-owned metadata of `oldObj` into `newObj`. */
export function carryServerFields(oldObj: StoredObject, newObj: StoredObject): void {
  const o = metaOf(oldObj);
  const n = metaOf(newObj);
  n.name = o.name;
  if (o.namespace !== undefined) n.namespace = o.namespace;
  else delete n.namespace;
  n.uid = o.uid;
  n.creationTimestamp = o.creationTimestamp;
  for (const k of ['deletionTimestamp', 'deletionGracePeriodSeconds', 'generateName'] as const) {
    if (o[k] !== undefined) n[k] = o[k] as never;
    else delete n[k];
  }
  delete n.selfLink;
  const gen = typeof o.generation === 'number' ? o.generation : 1;
  n.generation = desiredStateChanged(oldObj, newObj) ? gen + 1 : gen;
}

export { jsonEqual };

/** True when the two objects are the same apart from resourceVersion (a write would be a no-op). */
export function sameObject(a: StoredObject, b: StoredObject): boolean {
  const strip = (o: StoredObject) => ({ ...o, metadata: { ...(o.metadata ?? {}), resourceVersion: undefined } });
  return jsonEqual(strip(a), strip(b));
}
