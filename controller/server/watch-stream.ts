/**
 * One watch stream: newline-delimited JSON events over a chunked 200 response, headers flushed
 * at once, periodic BOOKMARKs when asked, a timeout, and ERROR (a Status) followed by close when
 * the watch cannot continue (410 Expired). Client disconnects are seen through `res.on('close')`.
 */
import type http from 'node:http';
import type { KindInfo } from '../api/kinds.js';
import { storedEventJson, storedJson } from '../store/core/serialized.js';
import type { StoredObject, Watch } from '../store/store.js';
import { toApiServerError, type ApiServerError } from './errors.js';
import type { ResourceRegistry, Selectors } from './resource-registry.js';
import { failureStatus } from './status.js';
import { buildTable, type IncludeObject, type TableConverter } from './table-output.js';

/**
 * Serialisations of event objects, shared by every watcher the store hands the same object to:
 * with 100 watchers on a kind, an event is stringified once instead of 100 times.
 */
const serialized = new WeakMap<object, string>();
function jsonOf(obj: StoredObject): string {
  let text = serialized.get(obj) ?? storedJson(obj);
  if (text === undefined) {
    text = JSON.stringify(obj);
    serialized.set(obj, text);
  }
  return text;
}

export interface WatchStreamOptions extends Selectors {
  registry: ResourceRegistry;
  kind: KindInfo;
  namespace: string | undefined;
  /** undefined: synthetic ADDED for the current state first; N: every change after N. */
  fromRevision?: number;
  timeoutMs: number;
  bookmarkIntervalMs?: number;
  /** Set for Table watches: each event's object is a one-row Table. */
  table?: { convert: TableConverter; includeObject: IncludeObject };
  /** Stop writing when the client falls this far behind (bytes buffered). */
  maxBufferedBytes?: number;
}

/** An open watch the server can close on shutdown. */
export interface OpenWatch {
  close(): void;
  done: Promise<void>;
}

export async function serveWatch(req: http.IncomingMessage, res: http.ServerResponse, o: WatchStreamOptions): Promise<OpenWatch> {
  let lastRevision = o.fromRevision ?? (await o.registry.store.currentRevision());
  let closed = false;
  let watch: Watch | undefined;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const timers: NodeJS.Timeout[] = [];
  const maxBuffered = o.maxBufferedBytes ?? 32 * 1024 * 1024;

  const close = () => {
    if (closed) return;
    closed = true;
    watch?.stop();
    for (const t of timers) clearInterval(t);
    if (!res.writableEnded) res.end();
    resolveDone();
  };
  // Events that arrive in one batch (one store commit, one tick) leave in one write.
  let corked = false;
  const uncork = () => {
    corked = false;
    if (!res.destroyed) res.uncork();
  };
  const writeLine = (type: string, json: string) => {
    if (closed) return;
    if (!corked) {
      corked = true;
      res.cork();
      process.nextTick(uncork);
    }
    res.write(`{"type":"${type}","object":${json}}\n`);
    if (res.writableLength > maxBuffered) close();
  };
  const write = (type: string, object: unknown) => writeLine(type, JSON.stringify(object));
  const asTable = (objects: StoredObject[], rv: string) =>
    buildTable(o.table!.convert, o.kind, objects, { includeObject: o.table!.includeObject, resourceVersion: rv });

  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  res.on('close', close);
  req.on('error', close);

  try {
    watch = await o.registry.watch(o.kind, o.namespace, {
      ...(o.label ? { label: o.label } : {}),
      ...(o.field ? { field: o.field } : {}),
      ...(o.fromRevision !== undefined ? { fromRevision: o.fromRevision } : {}),
      onProgress: (rev) => {
        if (rev > lastRevision) lastRevision = rev;
      },
      onEvent: (e) => {
        if (o.table) write(e.type, asTable([e.object], String(e.revision)));
        else writeLine(e.type, storedEventJson(e) ?? jsonOf(e.object));
      },
      onError: (err: ApiServerError) => {
        write('ERROR', failureStatus(err));
        close();
      },
    });
  } catch (err) {
    write('ERROR', failureStatus(toApiServerError(err)));
    close();
    return { close, done };
  }
  if (closed) watch.stop();

  timers.push(setTimeout(close, o.timeoutMs));
  if (o.bookmarkIntervalMs) {
    const every = o.bookmarkIntervalMs;
    const ticker = setInterval(() => {
      const rv = String(lastRevision);
      write('BOOKMARK', o.table ? asTable([], rv) : { kind: o.kind.kind, apiVersion: o.kind.apiVersion, metadata: { resourceVersion: rv } });
    }, every);
    timers.push(ticker);
  }
  return { close, done };
}
