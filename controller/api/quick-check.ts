/**
 * A fast "certainly valid" check against a zod schema, for the API server's write path: the
 * common request is a well-formed object, and walking it with a checker compiled once per schema
 * costs a fraction of `schema.safeParse` (which also builds an output copy).
 *
 * Contract: `quickCheck(schema, v) === true` only if `schema.safeParse(v)` succeeds and its output
 * deep-equals `v` (the kinds' schemas have no transforms, defaults or refinements; an object with
 * a key z.object would strip, or a schema using anything the compiler does not know, is never
 * confirmed). `false` means "not known to be valid": run zod for the real verdict and its
 * causes. Where zod's rule is subtle the checker is stricter, which only costs a fallback.
 */
import type { z } from 'zod';

type Check = (v: unknown) => boolean;

interface Def {
  type: string;
  checks?: { _zod: { def: { check?: string; format?: string } } }[];
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  element?: z.ZodType;
  keyType?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  innerType?: z.ZodType;
  getter?: () => z.ZodType;
  entries?: Record<string, string | number>;
  values?: unknown[];
}

const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** null: the schema (or a part of it) uses something this checker does not model. */
const compiled = new WeakMap<z.ZodType, Check | null>();
const UNSUPPORTED = (): boolean => false;

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function onlyChecks(def: Def, allowed: (c: { check?: string; format?: string }) => boolean): boolean {
  return (def.checks ?? []).every((c) => allowed(c._zod.def));
}

function compile(schema: z.ZodType): Check | null {
  if (compiled.has(schema)) return compiled.get(schema)!;
  // Recursive schemas (z.lazy) reach themselves while compiling: hand out a forwarder first.
  let target: Check | null = UNSUPPORTED;
  compiled.set(schema, (v) => target !== null && target(v));
  target = build(defOf(schema));
  compiled.set(schema, target);
  return target;
}

function build(def: Def): Check | null {
  switch (def.type) {
    case 'string':
      return onlyChecks(def, () => false) ? (v) => typeof v === 'string' : null;
    case 'boolean':
      return onlyChecks(def, () => false) ? (v) => typeof v === 'boolean' : null;
    case 'number': {
      if (!onlyChecks(def, (c) => c.check === 'number_format' && c.format === 'safeint')) return null;
      return (def.checks ?? []).length > 0 ? (v) => Number.isSafeInteger(v) : (v) => typeof v === 'number' && Number.isFinite(v);
    }
    case 'unknown':
    case 'any':
      return () => true;
    case 'enum': {
      const allowed = new Set(Object.values(def.entries ?? {}));
      return (v) => (typeof v === 'string' || typeof v === 'number') && allowed.has(v);
    }
    case 'literal': {
      const values = def.values ?? [];
      return (v) => values.includes(v);
    }
    case 'optional': {
      const inner = compile(def.innerType!);
      return inner && ((v) => v === undefined || inner(v));
    }
    case 'nullable': {
      const inner = compile(def.innerType!);
      return inner && ((v) => v === null || inner(v));
    }
    case 'lazy': {
      let inner: Check | null | undefined;
      return (v) => {
        if (inner === undefined) inner = compile(def.getter!());
        return inner !== null && inner(v);
      };
    }
    case 'array': {
      if ((def.checks ?? []).length > 0) return null;
      const el = compile(def.element!);
      return (
        el &&
        ((v) => {
          if (!Array.isArray(v)) return false;
          for (let i = 0; i < v.length; i++) if (!el(v[i])) return false;
          return true;
        })
      );
    }
    case 'record': {
      if ((def.checks ?? []).length > 0 || defOf(def.keyType!).type !== 'string' || (defOf(def.keyType!).checks ?? []).length > 0) return null;
      const val = compile(def.valueType!);
      return (
        val &&
        ((v) => {
          if (!isPlainObject(v)) return false;
          for (const k in v) if (!val(v[k])) return false;
          return true;
        })
      );
    }
    case 'union': {
      const options = (def.options ?? []).map(compile);
      if (options.some((o) => o === null)) return null;
      const checks = options as Check[];
      return (v) => checks.some((c) => c(v));
    }
    case 'object': {
      if ((def.checks ?? []).length > 0) return null;
      const catchallType = def.catchall ? defOf(def.catchall).type : undefined;
      // z.looseObject keeps unknown keys; z.object would strip them, so with one present the
      // output would differ from the input: not confirmed (zod runs). Typed catchalls likewise.
      const unknownKeysOk = catchallType === 'unknown';
      const entries: { key: string; check: Check; optional: boolean }[] = [];
      for (const [key, child] of Object.entries(def.shape ?? {})) {
        const check = compile(child);
        if (!check) return null;
        entries.push({ key, check, optional: defOf(child).type === 'optional' });
      }
      // One pass over the keys the value has (Kubernetes objects leave most optional fields
      // out): each known key's check, unknown keys refused unless kept, required ones counted.
      const byKey = new Map(entries.map((e) => [e.key, e]));
      const required = entries.filter((e) => !e.optional).length;
      return (v) => {
        if (!isPlainObject(v)) return false;
        let present = 0;
        for (const k in v) {
          const e = byKey.get(k);
          if (e === undefined) {
            if (unknownKeysOk) continue;
            return false;
          }
          const x = v[k];
          if (x === undefined) continue;
          if (!e.check(x)) return false;
          if (!e.optional) present++;
        }
        return present === required;
      };
    }
    default:
      return null;
  }
}

/** True only when `schema.safeParse(value)` certainly succeeds (see the module comment). */
export function quickCheck(schema: z.ZodType, value: unknown): boolean {
  const check = compile(schema);
  return check !== null && check(value);
}
