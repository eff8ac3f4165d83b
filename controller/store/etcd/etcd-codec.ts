/**
 * Documents in etcd: the JSON of the object without `metadata.resourceVersion` (etcd's
 * mod_revision is the version, so it is never stored twice and can never disagree), stamped
 * with the revision on the way out.
 */
import { randomBytes } from 'node:crypto';
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

/** A value no object holds (checked on every use): where the revision goes in the stamped text. Exported for tests. */
export const REVISION_MARK = `sx-rv-${randomBytes(12).toString('hex')}`;
const MARK = REVISION_MARK;
const MEMBER = `"resourceVersion":"${MARK}"`;

/** The stamped text with the marker where the revision goes (no closures per write). */
class MarkedWrite implements EncodedWrite {
  constructor(
    readonly value: Buffer,
    private readonly text: string,
    /** Where the marker starts in `text`. */
    private readonly mark: number,
  ) {}

  textAt(rev: number): string {
    return this.text.slice(0, this.mark) + String(rev) + this.text.slice(this.mark + MARK.length);
  }
}

/** The plain way: the object serialised again, stamped, for the text. */
class PlainWrite implements EncodedWrite {
  readonly value: Buffer;
  constructor(private readonly obj: StoredObject) {
    this.value = encodeObject(obj);
  }

  textAt(rev: number): string {
    return JSON.stringify(stampObject(this.obj, rev));
  }
}

/**
 * `encodeObject(obj)` plus the text of `stampObject(obj, rev)` for the response, from one
 * serialisation: the object is serialised stamped with a marker as its resourceVersion (where
 * stampObject puts it), the response text is that with the marker replaced by the revision, and
 * the stored bytes are it without the member. If the marker occurs anywhere else in the text
 * (an object quoting it), both are made the plain way.
 */
export function encodeWrite(obj: StoredObject): EncodedWrite {
  const md = obj.metadata;
  if (md === null || typeof md !== 'object' || Array.isArray(md)) return new PlainWrite(obj);
  const text = JSON.stringify({ ...obj, metadata: { ...md, resourceVersion: MARK } });
  const at = text.indexOf(MEMBER);
  if (at < 0 || text.indexOf(MARK, at + MEMBER.length) >= 0) return new PlainWrite(obj);
  const end = at + MEMBER.length;
  // Drop the member and one comma next to it: `{"a":1,M}` → `{"a":1}`, `{M,"b":2}` → `{"b":2}`, `{M}` → `{}`.
  const stored = text[at - 1] === ',' ? text.slice(0, at - 1) + text.slice(end) : text[end] === ',' ? text.slice(0, at) + text.slice(end + 1) : text.slice(0, at) + text.slice(end);
  return new MarkedWrite(Buffer.from(stored), text, end - MARK.length - 1);
}
