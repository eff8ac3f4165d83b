/**
 * What the API server needs from the object model (controller/api), behind one interface so the
 * REST layer stays independent of how decoding, defaulting, validation and selectors are written.
 * `apiModel()` wires the controller/api implementation.
 */
import { parseObject, withoutNulls } from '../api/decode.js';
import { defaultObjectInPlace } from '../api/defaults.js';
import { matchesFields, parseFieldSelector } from '../api/field-selector.js';
import type { KindInfo } from '../api/kinds.js';
import { allKinds } from '../api/kinds.js';
import { matchesLabels, parseLabelSelector } from '../api/label-selector.js';
import { validateObject } from '../api/validate.js';
import { validateStatusWrite } from '../api/validate-status.js';
import { findUnknownFields } from '../api/unknown-fields.js';
import type { StoredObject } from '../store/store.js';
import type { StatusCause } from './errors.js';

/** A compiled selector: true when the object is selected. */
export type ObjectPredicate = (obj: StoredObject) => boolean;

export type DecodeOutcome = { ok: true; value: StoredObject } | { ok: false; causes: StatusCause[] };

export interface ApiModel {
  /** Every kind served, in discovery order. */
  kinds(): readonly KindInfo[];
  /** Drops nulls and unknown fields and checks types; type errors come back as causes. */
  decode(kind: KindInfo, raw: StoredObject): DecodeOutcome;
  /**
   * Defaults `obj` in place (Service type, port protocol, restartPolicy, ...) and returns it; the
   * caller owns `obj` (the registry passes decoded copies, never stored or shared objects).
   */
  applyDefaults(kind: KindInfo, obj: StoredObject): StoredObject;
  /** Semantic problems of `obj` (and of the change from `old` on update); empty when valid. */
  validate(kind: KindInfo, obj: StoredObject, old?: StoredObject): StatusCause[];
  /**
   * `validate` for a write through `status`: `obj` is `old` (stored, validated when written)
   * with only its status replaced, so the metadata and spec need no second look.
   */
  validateStatusWrite(kind: KindInfo, obj: StoredObject, old: StoredObject): StatusCause[];
  /** Paths of fields the schema does not know (`spec.foo`, `spec.ports[0].bar`). */
  findUnknownFields(kind: KindInfo, obj: StoredObject): string[];
  /** Parses a `labelSelector` query value; throws Error with a message on bad syntax. */
  labelSelector(text: string): ObjectPredicate;
  /** Parses a `fieldSelector` query value for a kind; throws Error on bad syntax or field. */
  fieldSelector(kind: KindInfo, text: string): ObjectPredicate;
}

export function apiModel(): ApiModel {
  // A request body is checked for unknown fields by the handler (fieldValidation) and again by
  // decode; remember the answer per body object so the walk runs once.
  const unknownCache = new WeakMap<object, string[]>();
  const unknownFields = (kind: KindInfo, obj: StoredObject): string[] => {
    let found = unknownCache.get(obj);
    if (!found) {
      found = findUnknownFields(kind, obj);
      unknownCache.set(obj, found);
    }
    return found;
  };
  return {
    kinds: () => allKinds(),
    decode: (kind, raw) => {
      // Fast path: with no unknown fields there is nothing to strip, and validateObject parses
      // with the schema anyway (type errors surface there as the same causes). The body itself
      // is the result when it holds no null (the registry owns it: a freshly decoded request
      // body or a patch result), a copy without them otherwise.
      if (unknownFields(kind, raw).length === 0) return { ok: true, value: withoutNulls(raw) };
      const r = parseObject(kind, raw);
      return r.ok
        ? { ok: true, value: r.value as StoredObject }
        : { ok: false, causes: r.causes.map((c) => ({ ...c, message: c.message ?? 'Invalid value' })) };
    },
    applyDefaults: (kind, obj) => {
      try {
        return defaultObjectInPlace(kind, obj) as StoredObject;
      } catch {
        // A shape the defaulters cannot walk (a string where a list belongs): leave it as is
        // and let validation report the type error as a 422.
        return obj;
      }
    },
    validate: (kind, obj, old) => validateObject(kind, obj, old ? { old } : {}),
    validateStatusWrite: (kind, obj, old) => validateStatusWrite(kind, obj, old),
    findUnknownFields: unknownFields,
    labelSelector: (text) => {
      const sel = parseLabelSelector(text);
      return (o) => matchesLabels(sel, (o.metadata as { labels?: Record<string, string> } | undefined)?.labels);
    },
    fieldSelector: (kind, text) => {
      const sel = parseFieldSelector(text, kind.kind);
      return (o) => matchesFields(sel, o);
    },
  };
}
