/**
 * An in-process transport: an ApiClient calls an API server's request listener in the same
 * process directly, with a request/response pair that is not a socket (local-http.ts): no TLS,
 * no HTTP/1.1 framing or parsing, no stream machinery. The listener still runs its whole
 * pipeline (identity, authorization, admission, validation, watches), and what it writes reaches
 * the client as written — a watch event line as one string. `sextant server` hands it to its own
 * controllers; any other client keeps using HTTPS.
 */
import type http from 'node:http';
import { asHttp, LocalRequest, LocalResponse, type LocalConnection, type LocalRequestInit, type ResponseSink } from './local-http.js';

/** The URL an ApiClient uses with this transport (only a name: nothing connects to it). */
export const IN_PROCESS_URL = 'http://in-process.sextant.invalid';

/** One request in flight; `abort()` is the client closing its connection. */
export interface LocalExchange {
  abort(): void;
}

/** What ApiClient needs of a transport: start one exchange, its answer going to `sink`. */
export interface ExchangeTransport {
  readonly url: string;
  exchange(req: LocalRequestInit, sink: ResponseSink): LocalExchange;
}

class ConnectionRefused extends Error {
  readonly code = 'ECONNREFUSED';
}

/** A started exchange; aborting it is the client closing its connection. */
class LocalCall implements LocalExchange {
  constructor(private readonly req: LocalRequest, private readonly res: LocalResponse) {}

  abort(): void {
    this.res.abort();
    this.req.destroy();
  }
}

export class InProcessTransport implements ExchangeTransport {
  /** The URL to give ApiClient as `server` together with this transport. */
  readonly url = IN_PROCESS_URL;
  /** Every request of this transport carries this connection (the identity step asks `owns`). */
  private readonly connection: LocalConnection = Object.freeze({ remoteAddress: '127.0.0.1', remotePort: 0, encrypted: false as const });
  private readonly open = new Set<LocalResponse>();
  private closed = false;

  /** `listener`: the API server's request handler (as given to its TCP listener). */
  constructor(private readonly listener: http.RequestListener) {}

  /** True for a request that arrived through this transport (the server's identity step asks). */
  owns(req: http.IncomingMessage): boolean {
    return (req.socket as unknown) === this.connection;
  }

  exchange(init: LocalRequestInit, sink: ResponseSink): LocalExchange {
    if (this.closed) {
      process.nextTick(() => sink.fail(new ConnectionRefused('in-process API transport is closed')));
      return { abort() {} };
    }
    const req = new LocalRequest(init, this.connection);
    const res = new LocalResponse(sink);
    this.open.add(res);
    res.once('close', () => this.open.delete(res));
    const [r, w] = asHttp(req, res);
    try {
      this.listener(r, w);
    } catch (err) {
      res.destroy(err instanceof Error ? err : new Error(String(err)));
    }
    return new LocalCall(req, res);
  }

  /** Cuts every open exchange (their clients see a connection error); later ones are refused. */
  close(): void {
    this.closed = true;
    for (const res of this.open) res.destroy(new Error('in-process API transport closed'));
    this.open.clear();
  }
}
