/**
 * Reading a watch stream: newline-delimited JSON events, from byte chunks (HTTP) or from string
 * chunks (the in-process transport, one event line per chunk). Each line is parsed once and
 * checked by hand against the event shape (`watchEventSchema`: a known type, an object), so no
 * schema walks every event; a bad line is an ApiError 'BadWatchEvent' naming the path.
 */
import { StringDecoder } from 'node:string_decoder';
import { ApiError } from './errors.js';
import { watchEventTypes, type WatchEvent } from './list.js';

const TYPES: ReadonlySet<string> = new Set(watchEventTypes);

/** One event line → the event; throws ApiError 'BadWatchEvent' for anything else. */
export function decodeWatchLine<T>(line: string, path: string): WatchEvent<T> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new ApiError(0, 'BadWatchEvent', `api: watch ${path}: malformed event line: ${line.slice(0, 200)}`);
  }
  const e = parsed as { type?: unknown; object?: unknown } | null;
  if (typeof e !== 'object' || e === null || Array.isArray(e)) throw new ApiError(0, 'BadWatchEvent', `api: watch ${path}: invalid event: not an object`);
  if (typeof e.type !== 'string' || !TYPES.has(e.type)) throw new ApiError(0, 'BadWatchEvent', `api: watch ${path}: invalid event: type ${JSON.stringify(e.type)} is not one of ${watchEventTypes.join(', ')}`);
  if (typeof e.object !== 'object' || e.object === null || Array.isArray(e.object)) throw new ApiError(0, 'BadWatchEvent', `api: watch ${path}: invalid event: object is not an object`);
  return e as WatchEvent<T>;
}

/** Splits chunks into lines and hands each non-blank one, decoded, to `onEvent` (which may throw to stop). */
export class WatchLineReader<T> {
  private readonly decoder = new StringDecoder('utf8');
  private buf = '';

  constructor(private readonly path: string, private readonly onEvent: (e: WatchEvent<T>) => void, private readonly stopped: () => boolean) {}

  /** Throws the first bad line's ApiError (or what onEvent threw). */
  write(chunk: string | Buffer): void {
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    // the common in-process case: exactly one whole line, nothing pending
    if (this.buf === '' && text.indexOf('\n') === text.length - 1) {
      this.line(text.slice(0, -1));
      return;
    }
    this.buf += text;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0 && !this.stopped()) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      this.line(line);
    }
  }

  /** The stream ended: a last line without its newline still counts. */
  end(): void {
    const rest = this.buf + this.decoder.end();
    this.buf = '';
    this.line(rest);
  }

  private line(line: string): void {
    if (line.trim() === '' || this.stopped()) return;
    this.onEvent(decodeWatchLine<T>(line, this.path));
  }
}
