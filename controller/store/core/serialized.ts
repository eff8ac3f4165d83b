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

/**
 * The JSON text of a watch event's object, for events whose object the store has not parsed:
 * a consumer that only forwards the text (the API server's watch streams) asks here first and
 * never touches `event.object`, which then is never built.
 */
const eventTexts = new WeakMap<object, string>();

export function rememberEventJson(event: object, text: string): void {
  eventTexts.set(event, text);
}

/** The stored serialisation of `event.object`, when the store published the event with one. */
export function storedEventJson(event: object): string | undefined {
  return eventTexts.get(event);
}
