/**
 * Documents in etcd: the JSON of the object without `metadata.resourceVersion` (etcd's
 * mod_revision is the version, so it is never stored twice and can never disagree), stamped
 * with the revision on the way out.
 */
import type { StoredObject } from '../store.js';

/** Bytes to store: `obj` minus `metadata.resourceVersion` (the caller's object is not touched). */
export function encodeObject(obj: StoredObject): Buffer {
  const md = obj.metadata && typeof obj.metadata === 'object' ? obj.metadata : undefined;
  if (!md || !('resourceVersion' in md)) return Buffer.from(JSON.stringify(obj));
  const { resourceVersion: _drop, ...rest } = md;
  return Buffer.from(JSON.stringify({ ...obj, metadata: rest }));
}

/** Parses stored bytes and stamps `metadata.resourceVersion` = `rev`. */
export function decodeObject(value: Buffer | string, rev: number): StoredObject {
  const obj = JSON.parse(typeof value === 'string' ? value : value.toString('utf8')) as StoredObject;
  const md = obj.metadata && typeof obj.metadata === 'object' ? obj.metadata : (obj.metadata = {});
  md.resourceVersion = String(rev);
  return obj;
}

/** A copy of `obj` carrying `resourceVersion` = `rev`, as the store returns written objects. */
export function stampObject(obj: StoredObject, rev: number): StoredObject {
  const md = obj.metadata && typeof obj.metadata === 'object' ? obj.metadata : {};
  return { ...obj, metadata: { ...md, resourceVersion: String(rev) } };
}
