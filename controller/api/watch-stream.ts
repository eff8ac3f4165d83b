/**
 * The client side of one watch stream, whatever carries it (an HTTP/1.1 connection of its own or
 * the in-process transport): it is accepted on a 200 head (the watch's promise resolves with a
 * handle to stop it) or refused (the promise rejects with the server's Status as ApiError); once
 * started, event lines go to the caller until the stream ends, fails or is stopped, and the
 * caller's onClose runs at most once — never after stop().
 */
import { apiErrorFromStatus, joinChunks, jsonOrText } from './answer.js';
import { WatchLineReader } from './watch-lines.js';
import type { WatchHandle } from './client.js';
import type { WatchEvent } from './list.js';

export interface WatchStreamCalls<T> {
  onEvent(e: WatchEvent<T>): void;
  /** The stream ended by itself (no error) or failed (the error). */
  onClose(err?: Error): void;
  resolve(h: WatchHandle): void;
  reject(err: Error): void;
  /** Cuts the transport; it calls nothing on this stream afterwards. */
  abort(): void;
  /** Runs on stop() and on every close, e.g. to clear an idle timer. */
  onFinish?(): void;
}

export class WatchStream<T> {
  private stopped = false;
  private closed = false;
  private started = false;
  private status = 0;
  private readonly errorPieces: (string | Buffer)[] = [];
  private readonly lines: WatchLineReader<T>;

  constructor(path: string, private readonly calls: WatchStreamCalls<T>) {
    this.lines = new WatchLineReader<T>(path, (e) => calls.onEvent(e), () => this.stopped || this.closed);
  }

  /** Whether a status line came (the request reached the server). */
  get answered(): boolean {
    return this.status !== 0;
  }

  /** Started, and neither stopped nor closed: events are still wanted. */
  get active(): boolean {
    return this.started && !this.stopped && !this.closed;
  }

  /** The answer's status: 200 starts the watch (returns true); anything else is a refusal to come. */
  head(status: number): boolean {
    this.status = status;
    if (status !== 200) return false;
    this.started = true;
    this.calls.resolve({
      stop: () => {
        this.stopped = true;
        this.calls.onFinish?.();
        this.calls.abort();
      },
    });
    return true;
  }

  /** A piece of the body: event lines once started, the refusal's Status before. */
  data(piece: string | Buffer): void {
    if (!this.started) {
      this.errorPieces.push(piece);
      return;
    }
    if (this.stopped || this.closed) return;
    try {
      this.lines.write(piece);
    } catch (err) {
      this.close(err as Error);
      this.calls.abort();
    }
  }

  /** The body is complete: a refusal rejects the watch; a started stream closes (its last line is an event too). */
  end(): void {
    if (!this.started) {
      this.closed = true;
      this.calls.reject(apiErrorFromStatus(this.status, jsonOrText(joinChunks(this.errorPieces))));
      return;
    }
    if (this.stopped || this.closed) return;
    try {
      this.lines.end();
      this.close();
    } catch (err) {
      this.close(err as Error);
    }
  }

  /** The transport failed: before the start the watch rejects with `startError`, after it the stream closes with `midStreamError`. */
  fail(startError: () => Error, midStreamError: () => Error): void {
    if (this.started) {
      this.close(midStreamError());
      return;
    }
    if (this.closed) return;
    this.closed = true;
    this.calls.reject(startError());
  }

  /** Ends a started stream with `err` (none: it ended normally); nothing after stop() or a first close. */
  close(err?: Error): void {
    this.calls.onFinish?.();
    if (this.closed || this.stopped) return;
    this.closed = true;
    this.calls.onClose(err);
  }
}
