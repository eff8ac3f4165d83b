/**
 * Unknown-field detection against the zod schemas, for `fieldValidation=Strict` (400 naming the
 * field) and `Warn`. `z.object` structures are checked; `z.looseObject` sub-trees (volumes,
 * securityContext, affinity, ...) and record keys are exempt.
 */
import { z } from 'zod';
import { UnknownKindError } from './errors.js';
import { resolveKind, type KindInfo } from './kinds.js';

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Peels optional/nullable/default/readonly/lazy/pipe wrappers down to the structural schema. */
function unwrap(schema: z.ZodType): z.ZodType {
  let s: z.ZodType = schema;
  for (let i = 0; i < 20; i++) {
    if (s instanceof z.ZodOptional || s instanceof z.ZodNullable || s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodReadonly) {
      s = s.unwrap() as z.ZodType;
    } else if (s instanceof z.ZodLazy) {
      s = s.unwrap() as z.ZodType;
    } else if (s instanceof z.ZodPipe) {
      s = s.in as z.ZodType;
    } else return s;
  }
  return s;
}

function walk(schema: z.ZodType, value: unknown, path: string, out: string[]): void {
  const s = unwrap(schema);
  if (s instanceof z.ZodObject) {
    if (!isPlainObject(value)) return;
    const shape = s.shape as Record<string, z.ZodType>;
    const catchall = s.def.catchall as z.ZodType | undefined;
    const loose = catchall !== undefined && !(catchall instanceof z.ZodNever);
    for (const [key, v] of Object.entries(value)) {
      const child = shape[key];
      const p = path === '' ? key : `${path}.${key}`;
      if (child) walk(child, v, p, out);
      else if (!loose) out.push(p);
    }
  } else if (s instanceof z.ZodArray) {
    if (!Array.isArray(value)) return;
    value.forEach((v, i) => walk(s.element as z.ZodType, v, `${path}[${i}]`, out));
  } else if (s instanceof z.ZodRecord) {
    if (!isPlainObject(value)) return;
    for (const [key, v] of Object.entries(value)) walk(s.valueType as z.ZodType, v, `${path}[${key}]`, out);
  } else if (s instanceof z.ZodUnion) {
    const options = s.options as z.ZodType[];
    const structural = options.find((o) => {
      const u = unwrap(o);
      return isPlainObject(value) ? u instanceof z.ZodObject || u instanceof z.ZodRecord : Array.isArray(value) && u instanceof z.ZodArray;
    });
    if (structural) walk(structural, value, path, out);
  }
}

/** The paths of fields `value` carries that `schema` does not know, e.g. `spec.containers[0].imagee`. */
export function unknownFieldsOf(schema: z.ZodType, value: unknown): string[] {
  const out: string[] = [];
  walk(schema, value, '', out);
  return out;
}

/**
 * The unknown fields of an object of `kind` (registry entry or kind name), as paths such as
 * `spec.containers[0].imagee`. `status` is checked like the rest.
 */
export function findUnknownFields(kind: KindInfo | string, obj: unknown): string[] {
  const k = resolveKind(kind);
  if (!k) throw new UnknownKindError(String(kind));
  return unknownFieldsOf(k.schema, obj);
}
