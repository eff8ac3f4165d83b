/**
 * The JSON text a log store wrote for an object it hands out (the result of a create or update,
 * and the object of an ADDED/MODIFIED watch event), so the API server answers and fans events out
 * without serialising the same object again. Only valid while the object is unmodified: a consumer
 * asks for it right after receiving the object, before changing anything (watch event objects are
 * shared read-only anyway).
 */
const TEXT = Symbol('stored JSON');
const EVENT_TEXT = Symbol('stored event JSON');
/** Only for objects that cannot take a property (frozen, sealed). */
const texts = new WeakMap<object, string>();
const eventTexts = new WeakMap<object, string>();

type Tagged = Record<symbol, string | undefined>;

/**
 * The text rides on the object under a private symbol, not enumerable (spread, Object.assign,
 * JSON, structuredClone and key walks never see or copy it), instead of a WeakMap entry: a write
 * remembers two texts, and every WeakMap entry also costs the collector an ephemeron.
 */
function tag(obj: object, key: symbol, map: WeakMap<object, string>, text: string): void {
  if (Object.isExtensible(obj)) Object.defineProperty(obj, key, { value: text, writable: true, configurable: true, enumerable: false });
  else map.set(obj, text);
}

function read(obj: object, key: symbol, map: WeakMap<object, string>): string | undefined {
  return Object.prototype.hasOwnProperty.call(obj, key) ? (obj as Tagged)[key] : map.get(obj);
}

export function rememberJson(obj: object, text: string): void {
  tag(obj, TEXT, texts, text);
}

/** The stored serialisation of `obj`, when the store handed it out with one. */
export function storedJson(obj: object): string | undefined {
  return read(obj, TEXT, texts);
}

/**
 * The JSON text of a watch event's object, for events whose object the store has not parsed:
 * a consumer that only forwards the text (the API server's watch streams) asks here first and
 * never touches `event.object`, which then is never built.
 */
export function rememberEventJson(event: object, text: string): void {
  tag(event, EVENT_TEXT, eventTexts, text);
}

/** The stored serialisation of `event.object`, when the store published the event with one. */
export function storedEventJson(event: object): string | undefined {
  return read(event, EVENT_TEXT, eventTexts);
}
