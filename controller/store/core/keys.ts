import { StoreError } from '../errors.js';

/**
 * A half-open key interval [start, end). A prefix `/a/b/` covers `/a/b/` ≤ key < `/a/b0` (`0` is
 * the byte after `/`), so it matches whole segments only; an exact key `k` covers [k, k + NUL).
 * Backends that speak ranges (SQL, etcd) can use these bounds directly.
 */
export interface KeyRange {
  start: string;
  end: string;
}

const check = (key: string, what: string): void => {
  if (typeof key !== 'string' || !key.startsWith('/') || key.includes('\0')) {
    throw new StoreError('BadRequest', `${what} ${JSON.stringify(key)}: must start with "/" and contain no NUL`, key);
  }
};

/** Throws `BadRequest` unless `key` names one object (starts with `/`, does not end in `/`). */
export function assertObjectKey(key: string): void {
  check(key, 'key');
  if (key.endsWith('/')) throw new StoreError('BadRequest', `key ${JSON.stringify(key)}: must not end in "/"`, key);
}

/** The range a list/watch argument covers: a prefix ending in `/`, or one exact key. */
export function keyRange(prefixOrKey: string): KeyRange {
  check(prefixOrKey, 'prefix');
  if (prefixOrKey.endsWith('/')) return { start: prefixOrKey, end: `${prefixOrKey.slice(0, -1)}0` };
  return { start: prefixOrKey, end: `${prefixOrKey}\0` };
}

export const inRange = (r: KeyRange, key: string): boolean => key >= r.start && key < r.end;
