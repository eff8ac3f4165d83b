/**
 * Deep freezing of the objects a store shares between readers (`Store.getShared`): a reader that
 * tried to change one fails at once (TypeError in strict code) instead of changing what every
 * later reader sees.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  Object.freeze(value);
  if (Array.isArray(value)) {
    for (const v of value) deepFreeze(v);
  } else {
    for (const k in value) deepFreeze((value as Record<string, unknown>)[k]);
  }
  return value;
}
