/**
 * Decoding a JSON body into a typed object: nulls dropped (Kubernetes treats `null` as absent,
 * e.g. `creationTimestamp: null` in generated manifests), then the kind's schema. Unknown fields
 * are stripped, as Kubernetes does under `fieldValidation=Ignore`.
 */
import { z } from 'zod';
import { UnknownKindError } from './errors.js';
import { resolveKind, type KindInfo } from './kinds.js';
import type { StatusCause } from './status.js';

/** A deep copy of `value` without object properties whose value is null. */
export function dropNulls<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => dropNulls(v)) as T;
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = dropNulls(v);
    return out as T;
  }
  return value;
}

/** True when `value` holds a null anywhere (as an object property or array element). */
export function hasNulls(value: unknown): boolean {
  if (value === null) return true;
  if (typeof value !== 'object') return false;
  if (Array.isArray(value)) {
    for (const v of value) if (hasNulls(v)) return true;
    return false;
  }
  for (const k in value) if (hasNulls((value as Record<string, unknown>)[k])) return true;
  return false;
}

/** `value` itself when it holds no null (it is only read), else a copy without them (`dropNulls`). */
export const withoutNulls = <T>(value: T): T => (hasNulls(value) ? dropNulls(value) : value);

/** Formats a zod issue path as a Kubernetes field path: `spec.ports[0].port`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out;
}

function describeType(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v;
}

function valueAt(obj: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = obj;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

/** Turns zod issues into Kubernetes-style causes (`FieldValueRequired`, `FieldValueTypeInvalid`, ...). */
export function causesFromZod(error: z.ZodError, input: unknown): StatusCause[] {
  return error.issues.map((issue) => {
    const field = fieldPath(issue.path);
    const actual = valueAt(input, issue.path);
    if (issue.code === 'invalid_type' && actual === undefined) {
      return { field, reason: 'FieldValueRequired', message: 'Required value' };
    }
    if (issue.code === 'invalid_type') {
      return { field, reason: 'FieldValueTypeInvalid', message: `Invalid value: ${JSON.stringify(actual)}: expected ${issue.expected}, got ${describeType(actual)}` };
    }
    if (issue.code === 'invalid_union') {
      return { field, reason: 'FieldValueTypeInvalid', message: `Invalid value: ${JSON.stringify(actual)}: expected an integer or a string` };
    }
    return { field, reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(actual)}: ${issue.message}` };
  });
}

export type DecodeResult<T> = { ok: true; value: T } | { ok: false; causes: StatusCause[] };

/** Drops nulls and parses `raw` with the schema of `kind`; failures come back as causes. */
export function parseObject<T = unknown>(kind: KindInfo<T> | string, raw: unknown): DecodeResult<T> {
  const k = resolveKind(kind as KindInfo | string);
  if (!k) throw new UnknownKindError(String(kind));
  const clean = dropNulls(raw);
  const r = k.schema.safeParse(clean);
  if (r.success) return { ok: true, value: r.data as T };
  return { ok: false, causes: causesFromZod(r.error, clean) };
}
