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

/**
 * What the walk needs of a schema, worked out once per schema (a WeakMap keyed by the zod
 * object; children resolved on first use, so recursive `z.lazy` schemas are fine).
 */
type Node =
  | { t: 'object'; shape: Map<string, z.ZodType>; loose: boolean }
  | { t: 'array'; element: z.ZodType }
  | { t: 'record'; value: z.ZodType }
  | { t: 'union'; objectLike?: z.ZodType; arrayLike?: z.ZodType }
  | { t: 'leaf' };

const compiled = new WeakMap<z.ZodType, Node>();

function nodeOf(schema: z.ZodType): Node {
  let n = compiled.get(schema);
  if (n) return n;
  const s = unwrap(schema);
  if (s instanceof z.ZodObject) {
    const catchall = s.def.catchall as z.ZodType | undefined;
    n = { t: 'object', shape: new Map(Object.entries(s.shape as Record<string, z.ZodType>)), loose: catchall !== undefined && !(catchall instanceof z.ZodNever) };
  } else if (s instanceof z.ZodArray) n = { t: 'array', element: s.element as z.ZodType };
  else if (s instanceof z.ZodRecord) n = { t: 'record', value: s.valueType as z.ZodType };
  else if (s instanceof z.ZodUnion) {
    const options = s.options as z.ZodType[];
    const objectLike = options.find((o) => {
      const u = unwrap(o);
      return u instanceof z.ZodObject || u instanceof z.ZodRecord;
    });
    const arrayLike = options.find((o) => unwrap(o) instanceof z.ZodArray);
    n = { t: 'union', ...(objectLike ? { objectLike } : {}), ...(arrayLike ? { arrayLike } : {}) };
  } else n = { t: 'leaf' };
  compiled.set(schema, n);
  return n;
}

/**
 * The path of the field being walked, as segments (keys and `[i]`/`[key]` parts): joined into
 * text only for an unknown field, so a walk of a well-formed object builds no strings.
 */
type Segments = string[];

const pathText = (at: Segments, key: string): string => {
  let out = '';
  for (const s of at) out += s.startsWith('[') || out === '' ? s : `.${s}`;
  return out === '' ? key : `${out}.${key}`;
};

function walk(schema: z.ZodType, value: unknown, at: Segments, out: string[]): void {
  if (typeof value !== 'object' || value === null) return;
  const n = nodeOf(schema);
  switch (n.t) {
    case 'object': {
      if (Array.isArray(value)) return;
      for (const key in value) {
        const child = n.shape.get(key);
        if (child) {
          const v = (value as Record<string, unknown>)[key];
          if (typeof v !== 'object' || v === null) continue;
          at.push(key);
          walk(child, v, at, out);
          at.pop();
        } else if (!n.loose) out.push(pathText(at, key));
      }
      return;
    }
    case 'array':
      if (!Array.isArray(value)) return;
      for (let i = 0; i < value.length; i++) {
        const v: unknown = value[i];
        if (typeof v !== 'object' || v === null) continue;
        at.push(`[${i}]`);
        walk(n.element, v, at, out);
        at.pop();
      }
      return;
    case 'record':
      if (!isPlainObject(value)) return;
      for (const key in value) {
        const v = (value as Record<string, unknown>)[key];
        if (typeof v !== 'object' || v === null) continue;
        at.push(`[${key}]`);
        walk(n.value, v, at, out);
        at.pop();
      }
      return;
    case 'union': {
      const structural = Array.isArray(value) ? n.arrayLike : n.objectLike;
      if (structural) walk(structural, value, at, out);
      return;
    }
    case 'leaf':
      return;
  }
}

/** The paths of fields `value` carries that `schema` does not know, e.g. `spec.containers[0].imagee`. */
export function unknownFieldsOf(schema: z.ZodType, value: unknown): string[] {
  const out: string[] = [];
  walk(schema, value, [], out);
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
