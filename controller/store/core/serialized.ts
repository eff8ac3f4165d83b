/**
 * The JSON text a log store wrote for an object it hands out (the result of a create or update,
 * and the object of an ADDED/MODIFIED watch event), so the API server answers and fans events out
 * without serialising the same object again. Only valid while the object is unmodified: a consumer
 * asks for it right after receiving the object, before changing anything (watch event objects are
 * shared read-only anyway).
 */
const texts = new WeakMap<object, string>();

export function rememberJson(obj: object, text: string): void {
  texts.set(obj, text);
}

/** The stored serialisation of `obj`, when the store handed it out with one. */
export function storedJson(obj: object): string | undefined {
  return texts.get(obj);
}
