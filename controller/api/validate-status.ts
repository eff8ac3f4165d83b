/**
 * Validation of a write through the `status` subresource. Such a write keeps the stored
 * object's metadata and spec (they were validated when they were written) and replaces only the
 * status, so, as in Kubernetes' status strategies, only the new status needs checking: the
 * compiled quick check confirms the common well-formed status against the kind's status schema,
 * and anything it cannot confirm goes through `validateObject` for the verdict and its causes
 * (the same 422 and field paths as before).
 */
import type { z } from 'zod';
import { withoutNulls } from './decode.js';
import { UnknownKindError } from './errors.js';
import type { FieldCause } from './field-errors.js';
import { resolveKind, type KindInfo } from './kinds.js';
import { quickCheck } from './quick-check.js';
import { validateObject } from './validate.js';

const statusSchemas = new WeakMap<KindInfo, z.ZodType | null>();

/** The schema of the kind's `status` field (with its optional wrapper), null when it has none. */
function statusSchemaOf(kind: KindInfo): z.ZodType | null {
  let s = statusSchemas.get(kind);
  if (s === undefined) {
    const shape = (kind.schema as unknown as { shape?: Record<string, z.ZodType> }).shape;
    s = shape?.status ?? null;
    statusSchemas.set(kind, s);
  }
  return s;
}

/**
 * Problems of `obj`, the stored object `old` with a new status (its metadata and spec carried
 * over unchanged); empty when valid.
 */
export function validateStatusWrite(kind: KindInfo | string, obj: unknown, old: unknown): FieldCause[] {
  const k = resolveKind(kind);
  if (!k) throw new UnknownKindError(String(kind));
  const schema = statusSchemaOf(k);
  if (schema && quickCheck(schema, withoutNulls((obj as { status?: unknown }).status))) return [];
  return validateObject(k, obj, { old });
}
