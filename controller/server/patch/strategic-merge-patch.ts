import { PatchError } from './errors.js';
import { cloneJson, isJsonObject, jsonEqual, jsonType, type JsonObject, type JsonValue } from './json.js';
import type { FieldPatchMeta, PatchSchema } from './merge-keys.js';

/**
 * Kubernetes strategic merge patch (`application/strategic-merge-patch+json`), the patch type
 * `kubectl apply` sends for built-in kinds. It is a JSON merge patch in which lists marked in the
 * kind's {@link PatchSchema} merge element by element (containers by `name`, container ports by
 * `containerPort`, service ports by `port`, finalizers as a set) instead of being replaced, plus
 * the directives kubectl's three-way diff emits:
 *
 * - `null` value: remove the key;
 * - `{"$patch": "delete", <key>: v}` in a merging list: remove the element with that key;
 * - `{"$patch": "replace"}` in a list, or as a key of a map: the list/map becomes the patch's;
 * - `{"$patch": "delete"}` as a key of a map: the map becomes empty;
 * - `"$patch": "merge"`: the default, accepted and ignored (Kubernetes rejects it in lists);
 * - `$setElementOrder/<list>`: final order of the patched elements; elements only the server has
 *   keep their relative order and stay next to their live neighbours;
 * - `$retainKeys: [...]`: clear keys of the map not named (Deployment `strategy`, volumes);
 * - `$deleteFromPrimitiveList/<list>`: remove these values from a primitive set (finalizers).
 *
 * The algorithm follows k8s.io/apimachinery's strategicpatch (MergeParallelList and
 * IgnoreUnmatchedNulls on, as the API server applies it), with one deliberate difference: values
 * new to the object are themselves cleaned of directives and nulls recursively, so no `$`-key can
 * reach storage. Never mutates its arguments.
 */
export const applyStrategicMergePatch = (original: JsonValue, patch: unknown, schema: PatchSchema): JsonObject => {
  if (!isJsonObject(patch)) {
    throw new PatchError('MalformedPatch', `a strategic merge patch must be a JSON object, got ${jsonType(patch as JsonValue)}`);
  }
  if (!isJsonObject(original)) {
    throw new PatchError('PatchNotApplicable', `the patched document must be a JSON object, got ${jsonType(original)}`);
  }
  return new Merger(schema).mergeMap(cloneJson(original), patch, '');
};

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ORDER = '$setElementOrder/';
const DELETE_FROM_PRIMITIVE = '$deleteFromPrimitiveList/';

type ElementKind = 'object' | 'primitive' | 'none';

const malformed = (at: string, problem: string) => new PatchError('MalformedPatch', `${at || '<root>'}: ${problem}`);
const notApplicable = (at: string, problem: string) => new PatchError('PatchNotApplicable', `${at || '<root>'}: ${problem}`);
const fieldPath = (at: string, key: string) => (at ? `${at}.${key}` : key);
const has = (o: JsonObject, k: string) => Object.hasOwn(o, k);
const isDeleteElement = (v: JsonValue) => isJsonObject(v) && v[DIRECTIVE] === 'delete';

class Merger {
  constructor(private readonly schema: PatchSchema) {}

  /** Merges `patch` into `original` (owned by the merger: may be modified) at field path `at`. */
  mergeMap(original: JsonObject | undefined, patchIn: JsonObject, at: string): JsonObject {
    const patch = { ...patchIn };
    if (has(patch, DIRECTIVE)) {
      const directive = patch[DIRECTIVE];
      delete patch[DIRECTIVE];
      if (directive === 'delete') return {};
      if (directive === 'replace') return this.mergeMap(undefined, patch, at);
      if (directive !== 'merge') throw malformed(at, `unknown $patch directive ${JSON.stringify(directive)} (want replace, delete or merge)`);
    }
    const result: JsonObject = original ?? {};
    this.applyRetainKeys(result, patch, at);
    this.applySetElementOrder(result, patch, at);

    for (const [rawKey, value] of Object.entries(patch)) {
      let key = rawKey;
      const isDeleteList = rawKey.startsWith(DELETE_FROM_PRIMITIVE);
      if (isDeleteList) {
        key = rawKey.slice(DELETE_FROM_PRIMITIVE.length);
        if (!key) throw malformed(at, `${rawKey} names no list`);
      }
      const path = fieldPath(at, key);
      if (value === null) {
        delete result[key];
        continue;
      }
      if (!has(result, key)) {
        if (!isDeleteList) this.setMaterialized(result, key, value, path);
        continue;
      }
      const current = result[key] as JsonValue;
      if (jsonType(current) !== jsonType(value)) {
        if (!isDeleteList) this.setMaterialized(result, key, value, path);
        continue;
      }
      if (isJsonObject(current) && isJsonObject(value)) {
        result[key] = this.mergeMap(current, value, path);
      } else if (Array.isArray(current) && Array.isArray(value)) {
        const meta = this.schema.field(path);
        result[key] = isDeleteList || isMerging(meta)
          ? this.mergeList(current, value, path, meta?.mergeKey, isDeleteList)
          : this.materializeList(value, path);
      } else {
        result[key] = value;
      }
    }
    return result;
  }

  private applyRetainKeys(result: JsonObject, patch: JsonObject, at: string): void {
    if (!has(patch, RETAIN_KEYS)) return;
    const keys = patch[RETAIN_KEYS];
    delete patch[RETAIN_KEYS];
    if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) {
      throw malformed(at, '$retainKeys must be a list of field names');
    }
    const retained = new Set(keys as string[]);
    for (const [k, v] of Object.entries(patch)) {
      if (v === null || k.startsWith(SET_ORDER) || k.startsWith(DELETE_FROM_PRIMITIVE)) continue;
      if (!retained.has(k)) throw malformed(at, `field ${JSON.stringify(k)} is set by the patch but missing from $retainKeys`);
    }
    for (const k of Object.keys(result)) if (!retained.has(k)) delete result[k];
  }

  /** Handles every `$setElementOrder/<list>` with its list, then removes both from the patch. */
  private applySetElementOrder(result: JsonObject, patch: JsonObject, at: string): void {
    for (const directiveKey of Object.keys(patch)) {
      if (!directiveKey.startsWith(SET_ORDER)) continue;
      const order = patch[directiveKey];
      delete patch[directiveKey];
      const key = directiveKey.slice(SET_ORDER.length);
      const path = fieldPath(at, key);
      if (!key) throw malformed(at, `${directiveKey} names no list`);
      if (!Array.isArray(order)) throw malformed(path, `${directiveKey} must be a list`);
      const live = has(result, key) ? result[key] : undefined;
      const patched = has(patch, key) ? patch[key] : undefined;
      if (live !== undefined && !Array.isArray(live)) throw notApplicable(path, `is a ${jsonType(live)}, not a list`);
      if (patched !== undefined && !Array.isArray(patched)) throw malformed(path, `is a ${jsonType(patched)} in the patch, not a list`);
      const meta = this.schema.field(path);
      const mergeKey = meta?.mergeKey;
      if (patched) validateAgainstOrder(patched, order, mergeKey, path);

      let merged: JsonValue[];
      if (live && patched) merged = isMerging(meta) ? this.mergeList(live, patched, path, mergeKey, false) : this.materializeList(patched, path);
      else if (patched) merged = this.materializeList(patched, path);
      else if (live) merged = live;
      else continue;
      delete patch[key];

      const kind = elementKind(path, live ?? [], patched ?? []);
      if (kind === 'none' || (kind === 'object' && !mergeKey)) {
        result[key] = merged;
        continue;
      }
      const inOrder = (v: JsonValue) => indexIn(order, v, mergeKey, kind) >= 0;
      result[key] = normalizeElementOrder(
        merged.filter(inOrder),
        merged.filter((v) => !inOrder(v)),
        order,
        live ?? [],
        mergeKey,
        kind,
        path,
      );
    }
  }

  /** Merges a list with merge strategy (object lists by `mergeKey`, primitive lists as sets). */
  private mergeList(live: JsonValue[], patchIn: JsonValue[], path: string, mergeKey: string | undefined, isDeleteList: boolean): JsonValue[] {
    if (live.length === 0 && patchIn.length === 0) return live;
    const kind = elementKind(path, live, patchIn);
    let original = live;
    let patch = patchIn;
    let merged: JsonValue[];
    if (kind !== 'object') {
      if (isDeleteList) return live.filter((v) => !patchIn.some((d) => jsonEqual(v, d)));
      merged = dedupe([...live, ...patchIn]);
    } else {
      if (isDeleteList) throw malformed(path, '$deleteFromPrimitiveList applies only to lists of primitive values');
      if (!mergeKey) throw notApplicable(path, 'cannot merge a list of objects without a merge key');
      let replace: boolean;
      [original, patch, replace] = applyListDirectives(live, patchIn, mergeKey, path);
      if (replace) return this.materializeList(patch, path);
      merged = [...original];
      for (const element of patch) {
        const item = element as JsonObject;
        const index = merged.findIndex((o) => isJsonObject(o) && jsonEqual(o[mergeKey], item[mergeKey]));
        const elementPath = `${path}[]`;
        if (index >= 0) merged[index] = this.mergeMap(merged[index] as JsonObject, item, elementPath);
        else merged.push(this.mergeMap(undefined, item, elementPath));
      }
    }
    const inPatch = (v: JsonValue) => indexIn(patch, v, mergeKey, kind) >= 0;
    return normalizeElementOrder(merged.filter(inPatch), merged.filter((v) => !inPatch(v)), patch, original, mergeKey, kind, path);
  }

  /** A value new to the object: stored without directives or nulls. */
  private setMaterialized(target: JsonObject, key: string, value: JsonValue, path: string): void {
    if (isJsonObject(value)) {
      if (value[DIRECTIVE] === 'delete') delete target[key];
      else target[key] = this.mergeMap(undefined, value, path);
    } else if (Array.isArray(value)) {
      target[key] = this.materializeList(value, path);
    } else {
      target[key] = value;
    }
  }

  private materializeList(list: JsonValue[], path: string): JsonValue[] {
    return list
      .filter((v) => !(isJsonObject(v) && has(v, DIRECTIVE)))
      .map((v) => (isJsonObject(v) ? this.mergeMap(undefined, v, `${path}[]`) : cloneJson(v)));
  }
}

const isMerging = (meta: FieldPatchMeta | undefined): boolean => meta !== undefined && meta.strategy.split(',').includes('merge');

/** `object` or `primitive` for a list's elements; lists of lists and mixed lists are refused. */
const elementKind = (path: string, ...lists: JsonValue[][]): ElementKind => {
  let seen: string | undefined;
  for (const list of lists) {
    for (const v of list) {
      const t = jsonType(v);
      if (t === 'array') throw notApplicable(path, 'lists of lists cannot be merged');
      if (seen !== undefined && seen !== t) throw notApplicable(path, `list element types differ (${seen} and ${t})`);
      seen = t;
    }
  }
  return seen === undefined ? 'none' : seen === 'object' ? 'object' : 'primitive';
};

const dedupe = (list: JsonValue[]): JsonValue[] =>
  list.filter((v, i) => list.findIndex((w) => jsonEqual(v, w)) === i);

/**
 * Applies `$patch: delete` elements to the live list; returns it, the remaining patch elements, and
 * whether a `$patch: replace` element asked for those elements to become the whole list.
 */
const applyListDirectives = (live: JsonValue[], patch: JsonValue[], mergeKey: string, path: string): [JsonValue[], JsonValue[], boolean] => {
  let original = live;
  const rest: JsonValue[] = [];
  let replace = false;
  for (const v of patch) {
    const element = v as JsonObject;
    if (!has(element, DIRECTIVE)) {
      if (!has(element, mergeKey)) throw malformed(path, `element ${JSON.stringify(element)} has no merge key ${JSON.stringify(mergeKey)}`);
      rest.push(element);
      continue;
    }
    const directive = element[DIRECTIVE];
    if (directive === 'delete') {
      if (!has(element, mergeKey)) throw malformed(path, `$patch: delete element has no merge key ${JSON.stringify(mergeKey)}`);
      original = original.filter((o) => !(isJsonObject(o) && jsonEqual(o[mergeKey], element[mergeKey])));
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive !== 'merge') {
      throw malformed(path, `unknown $patch directive ${JSON.stringify(directive)} in a list (want delete, replace or merge)`);
    }
  }
  return [original, rest, replace];
};

/** Position of `v` in `list`, comparing merge key values for objects and values for primitives. */
const indexIn = (list: JsonValue[], v: JsonValue, mergeKey: string | undefined, kind: ElementKind): number => {
  if (kind !== 'object') return list.findIndex((w) => jsonEqual(w, v));
  if (!mergeKey || !isJsonObject(v)) return -1;
  return list.findIndex((w) => isJsonObject(w) && jsonEqual(w[mergeKey], v[mergeKey]));
};

/**
 * Orders the patched elements by `patchOrder` and the server-only ones by their live order, then
 * interleaves them: a server-only element goes before the first patched element that follows it in
 * the live list, so it stays next to its live neighbours.
 */
const normalizeElementOrder = (
  patched: JsonValue[],
  serverOnly: JsonValue[],
  patchOrder: JsonValue[],
  serverOrder: JsonValue[],
  mergeKey: string | undefined,
  kind: ElementKind,
  path: string,
): JsonValue[] => {
  const left = sortByOrder(serverOnly, serverOrder, mergeKey, kind, path);
  const right = sortByOrder(patched, patchOrder, mergeKey, kind, path);
  const out: JsonValue[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++] as JsonValue);
    else if (j >= right.length) out.push(left[i++] as JsonValue);
    else {
      const li = indexIn(serverOrder, left[i] as JsonValue, mergeKey, kind);
      const ri = indexIn(serverOrder, right[j] as JsonValue, mergeKey, kind);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++] as JsonValue);
      else out.push(right[j++] as JsonValue);
    }
  }
  return out;
};

/** Stable sort by position in `order`; `$patch: delete` leftovers and unknown elements go last. */
const sortByOrder = (items: JsonValue[], order: JsonValue[], mergeKey: string | undefined, kind: ElementKind, path: string): JsonValue[] => {
  if (kind === 'object' && mergeKey) {
    for (const v of [...items, ...order]) {
      if (!isJsonObject(v) || !has(v, mergeKey)) throw malformed(path, `element ${JSON.stringify(v)} has no merge key ${JSON.stringify(mergeKey)}`);
    }
  }
  const rank = (v: JsonValue) => {
    if (isDeleteElement(v)) return Number.MAX_SAFE_INTEGER;
    const i = indexIn(order, v, mergeKey, kind);
    return i < 0 ? Number.MAX_SAFE_INTEGER - 1 : i;
  };
  return items.map((v, i) => ({ v, r: rank(v), i })).sort((a, b) => a.r - b.r || a.i - b.i).map((x) => x.v);
};

/**
 * The patch list must be a subsequence of the `$setElementOrder` list (deletions aside), as
 * Kubernetes checks before merging; otherwise the two disagree about the order.
 */
const validateAgainstOrder = (patchList: JsonValue[], order: JsonValue[], mergeKey: string | undefined, path: string): void => {
  if (patchList.length === 0 || order.length === 0) return;
  const items = mergeKey ? patchList.filter((v) => !isDeleteElement(v)) : patchList;
  const same = (a: JsonValue, b: JsonValue) => {
    if (!mergeKey) return jsonEqual(a, b);
    if (!isJsonObject(a) || !has(a, mergeKey) || !isJsonObject(b) || !has(b, mergeKey)) {
      throw malformed(path, `$setElementOrder element or list element lacks merge key ${JSON.stringify(mergeKey)}`);
    }
    return jsonEqual(a[mergeKey], b[mergeKey]);
  };
  let p = 0;
  let o = 0;
  while (p < items.length && o < order.length) {
    const item = items[p] as JsonValue;
    if (isJsonObject(item) && has(item, DIRECTIVE)) {
      p++;
      continue;
    }
    if (same(item, order[o] as JsonValue)) p++;
    o++;
  }
  if (p < items.length) throw malformed(path, `the order of the patch list does not match $setElementOrder/${path.split('.').pop()}`);
};
