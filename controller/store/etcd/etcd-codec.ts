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

/** A write's encoding: the bytes to store and, once etcd gave the revision, the stamped object's JSON text. */
export interface EncodedWrite {
  value: Buffer;
  /** Exactly `JSON.stringify(stampObject(obj, rev))`, built from the pieces already serialised for `value`. */
  textAt(rev: number): string;
}

/** `"key":value` members of `o` in JSON.stringify's order and rules (undefined values dropped), `skip` left out. */
function members(o: object, skip: string): { parts: string[]; at: number } {
  const parts: string[] = [];
  let at = -1;
  for (const [k, v] of Object.entries(o)) {
    if (k === skip) {
      at = parts.length;
      continue;
    }
    const t = JSON.stringify(v) as string | undefined;
    if (t !== undefined) parts.push(`${JSON.stringify(k)}:${t}`);
  }
  return { parts, at };
}

/**
 * `encodeObject(obj)` plus the text of `stampObject(obj, rev)` for the response, without a second
 * serialisation of the whole object: the top-level members and metadata's members are each
 * serialised once, and the stamped text is the same pieces with `"resourceVersion":"<rev>"` in
 * metadata (where it was, or last, as the spread in stampObject puts it).
 */
export function encodeWrite(obj: StoredObject): EncodedWrite {
  const md = obj.metadata;
  if (md === null || typeof md !== 'object' || Array.isArray(md)) {
    const value = encodeObject(obj);
    return { value, textAt: (rev) => JSON.stringify(stampObject(obj, rev)) };
  }
  const top = members(obj, 'metadata');
  const meta = members(md, 'resourceVersion');
  const join = (mdText: string) => {
    const p = top.parts.slice();
    p.splice(top.at, 0, `"metadata":${mdText}`);
    return `{${p.join(',')}}`;
  };
  const value = Buffer.from(join(`{${meta.parts.join(',')}}`));
  return {
    value,
    textAt: (rev) => {
      const p = meta.parts.slice();
      p.splice(meta.at < 0 ? p.length : meta.at, 0, `"resourceVersion":"${rev}"`);
      return join(`{${p.join(',')}}`);
    },
  };
}
