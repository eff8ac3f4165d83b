import { cloneJson, isJsonObject, type JsonValue } from './json.js';

/**
 * RFC 7386 JSON merge patch (`application/merge-patch+json`): objects merge recursively, `null`
 * removes a key, anything else (arrays included) replaces. Used by `kubectl scale`, `label`,
 * `annotate` and any `--type=merge` patch. Never mutates its arguments.
 */
export const applyMergePatch = (original: JsonValue, patch: JsonValue): JsonValue => {
  if (!isJsonObject(patch)) return cloneJson(patch);
  const target = isJsonObject(original) ? { ...original } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete target[key];
    else target[key] = applyMergePatch(Object.hasOwn(target, key) ? (target[key] as JsonValue) : null, value);
  }
  return cloneJson(target);
};
