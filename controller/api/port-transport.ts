/**
 * The in-process transport across a thread boundary. An ApiClient in a worker thread sends its
 * exchanges over a MessagePort (`PortTransport`); the thread that runs the API server answers
 * them through its InProcessTransport (`servePort`), so they take the server's whole pipeline
 * (identity, authorization, admission, validation, watches) with no socket, TLS or HTTP framing.
 * Requests and answers cross as they are — method, target, headers, body bytes; head, chunks as
 * written (a watch event line stays one string), end or failure. What one side sends before it
 * yields (one callback and the microtasks it queues) crosses as one message, posted at once: a
 * batch held to the end of the event-loop turn (setImmediate) made every request and answer wait
 * for the rest of its thread's turn, and the endpoints bench's p99 was 2-2.5x higher for it.
 */
import type { MessagePort } from 'node:worker_threads';
import { IN_PROCESS_URL, type ExchangeTransport, type LocalExchange } from './in-process-transport.js';
import type { LocalRequestInit, ResponseSink } from './local-http.js';

/** Client → server: start exchange `id`, or abort it (the client closing its connection). */
type ToServer =
  | { t: 'x'; id: number; method: string; url: string; headers: Record<string, string>; body?: Uint8Array }
  | { t: 'a'; id: number };

/** Server → client: the answer of exchange `id`, in order. */
type ToClient =
  | { t: 'h'; id: number; status: number; headers: Record<string, string> }
  | { t: 'd'; id: number; chunk: string | Uint8Array }
  | { t: 'e'; id: number }
  | { t: 'f'; id: number; message: string; code?: string };

/** Errors that crossed the port keep their `code` (ECONNREFUSED, …), as the client maps them. */
class CrossedError extends Error {
  constructor(message: string, readonly code: string | undefined) {
    super(message);
  }
}

/**
 * A copy of the bytes in a buffer of their own (not `Buffer#slice`, which is a view), to
 * transfer: sending the caller's buffer would clone its whole pool (a small Buffer is a slice of
 * a shared one), and transferring it would empty it under whoever still holds it (a retried
 * request body, a chunk also written elsewhere).
 */
const ownCopy = (b: Uint8Array): Uint8Array => new Uint8Array(b);

const asBuffer = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/** Messages sent before the thread yields, posted together (with the byte arrays they carry, transferred). */
class Outbox<M> {
  private batch: M[] = [];
  private transfer: ArrayBuffer[] = [];
  private closed = false;

  constructor(private readonly port: MessagePort) {}

  send(m: M, bytes?: Uint8Array): void {
    if (this.closed) return;
    if (this.batch.length === 0) queueMicrotask(() => this.flush());
    this.batch.push(m);
    if (bytes) this.transfer.push(bytes.buffer as ArrayBuffer);
  }

  flush(): void {
    if (this.batch.length === 0 || this.closed) return;
    const batch = this.batch;
    const transfer = this.transfer;
    this.batch = [];
    this.transfer = [];
    this.port.postMessage(batch, transfer);
  }

  close(): void {
    this.flush();
    this.closed = true;
  }
}

/** The worker's side: an ExchangeTransport whose exchanges are answered across `port`. */
export class PortTransport implements ExchangeTransport {
  readonly url = IN_PROCESS_URL;
  private readonly sinks = new Map<number, ResponseSink>();
  private readonly out: Outbox<ToServer>;
  private nextId = 1;
  private closed = false;

  constructor(private readonly port: MessagePort) {
    this.out = new Outbox<ToServer>(port);
    port.on('message', (batch: ToClient[]) => this.receive(batch));
    // the serving side closed its end (server stopping): what is open is cut, as a reset connection
    port.once('close', () => this.close());
  }

  exchange(init: LocalRequestInit, sink: ResponseSink): LocalExchange {
    if (this.closed) {
      process.nextTick(() => sink.fail(new CrossedError('in-process API transport is closed', 'ECONNREFUSED')));
      return { abort() {} };
    }
    const id = this.nextId++;
    this.sinks.set(id, sink);
    const { method, url, headers } = init;
    if (init.body) {
      const body = ownCopy(init.body);
      this.out.send({ t: 'x', id, method, url, headers, body }, body);
    } else {
      this.out.send({ t: 'x', id, method, url, headers });
    }
    return {
      abort: () => {
        if (this.sinks.delete(id)) this.out.send({ t: 'a', id });
      },
    };
  }

  private receive(batch: ToClient[]): void {
    for (const m of batch) {
      const sink = this.sinks.get(m.id);
      if (!sink) continue;
      switch (m.t) {
        case 'h':
          sink.head(m.status, m.headers);
          break;
        case 'd':
          sink.data(typeof m.chunk === 'string' ? m.chunk : asBuffer(m.chunk));
          break;
        case 'e':
          this.sinks.delete(m.id);
          sink.end();
          break;
        case 'f':
          this.sinks.delete(m.id);
          sink.fail(new CrossedError(m.message, m.code));
          break;
      }
    }
  }

  /** Fails every open exchange (as a reset connection) and refuses later ones; closes the port. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.out.close();
    const open = [...this.sinks.values()];
    this.sinks.clear();
    for (const sink of open) sink.fail(new CrossedError('in-process API transport closed', 'ECONNRESET'));
    this.port.close();
  }
}

/**
 * The server's side: answers the exchanges arriving on `port` through `transport` (the API
 * server's InProcessTransport). `close()` aborts what is open (the client's streams end) and
 * closes the port.
 */
export function servePort(port: MessagePort, transport: ExchangeTransport): { close(): void } {
  const open = new Map<number, LocalExchange>();
  const out = new Outbox<ToClient>(port);
  let closed = false;
  const sinkFor = (id: number): ResponseSink => ({
    head: (status, headers) => out.send({ t: 'h', id, status, headers }),
    data: (chunk) => {
      if (typeof chunk === 'string') out.send({ t: 'd', id, chunk });
      else {
        const bytes = ownCopy(chunk);
        out.send({ t: 'd', id, chunk: bytes }, bytes);
      }
    },
    end: () => {
      open.delete(id);
      out.send({ t: 'e', id });
    },
    fail: (err) => {
      open.delete(id);
      const code = (err as NodeJS.ErrnoException).code;
      out.send(code === undefined ? { t: 'f', id, message: err.message } : { t: 'f', id, message: err.message, code });
    },
  });
  port.on('message', (batch: ToServer[]) => {
    if (closed) return;
    for (const m of batch) {
      if (m.t === 'a') {
        open.get(m.id)?.abort();
        open.delete(m.id);
        continue;
      }
      const init: LocalRequestInit = { method: m.method, url: m.url, headers: m.headers, body: m.body ? asBuffer(m.body) : undefined };
      open.set(m.id, transport.exchange(init, sinkFor(m.id)));
    }
  });
  const api = {
    close() {
      if (closed) return;
      closed = true;
      for (const ex of open.values()) ex.abort();
      open.clear();
      out.close();
      port.close();
    },
  };
  // the client's end closed (its thread stopped or ended): its exchanges end on the server too
  port.once('close', () => api.close());
  return api;
}
