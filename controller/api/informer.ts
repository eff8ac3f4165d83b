/**
 * The list/watch cache every daemon uses: list (paged), then watch from the list's
 * resourceVersion with bookmarks; re-watch from the last seen version after a clean close or a
 * connection error (exponential backoff with jitter); relist on 410 Expired, delivering the
 * add/update/delete differences against the cache. It never throws and never stops on its own.
 */
import type { ApiClient } from './client.js';
import { ApiError } from './errors.js';
import type { KindInfo } from './kinds.js';
import type { WatchEvent } from './list.js';

export interface InformerHandlers<T> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T): void;
  /** After the initial list (and each relist) has been delivered. */
  onSynced?(): void;
}

export interface Informer<T> {
  addHandlers(h: InformerHandlers<T>): void;
  start(): void;
  stop(): void;
  synced(): Promise<void>;
  hasSynced(): boolean;
  list(): T[];
  get(namespace: string | undefined, name: string): T | undefined;
}

export interface InformerOptions<T = unknown> {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Re-deliver every cached object as onUpdate(obj, obj) this often (0/undefined = never). */
  resyncMs?: number;
  /** Page size of the list (default 500). */
  pageSize?: number;
  /** Backoff between failed attempts: doubles from initialMs to maxMs, with ±50% jitter. */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Server-side watch timeout; randomized between this and twice this (default 300 s). */
  watchTimeoutSeconds?: number;
  /** Told about failures (the informer keeps going); default silent. */
  onError?(err: Error): void;
  /**
   * Applied to every listed or watched object before it is cached and handed to the handlers
   * (like client-go's SetTransform): e.g. keep only the fields a consumer reads, so the cache
   * does not hold whole objects. Must keep metadata.name, namespace and resourceVersion.
   */
  transform?(obj: T): T;
}

interface Obj {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
}

const keyOf = (namespace: string | undefined, name: string | undefined) => `${namespace ?? ''}/${name ?? ''}`;
const objKey = (o: Obj) => keyOf(o.metadata?.namespace, o.metadata?.name);

/** Thrown inside the loop to force a relist (410 Expired). */
class RelistNeeded extends Error {}

const isExpired = (err: unknown) => err instanceof ApiError && (err.code === 410 || err.reason === 'Expired' || err.reason === 'Gone');

export function createInformer<T>(client: ApiClient, kind: KindInfo<T>, opts: InformerOptions<T> = {}): Informer<T> {
  const cache = new Map<string, T>();
  const handlers: InformerHandlers<T>[] = [];
  const initialMs = opts.backoff?.initialMs ?? 800;
  const maxMs = opts.backoff?.maxMs ?? 30_000;
  const watchTimeout = opts.watchTimeoutSeconds ?? 300;
  let running = false;
  let generation = 0;
  let isSynced = false;
  let resolveSynced: () => void = () => {};
  const syncedPromise = new Promise<void>((r) => (resolveSynced = r));
  let stopCurrent: (() => void) | undefined;
  let sleepTimer: NodeJS.Timeout | undefined;
  let wakeSleep: (() => void) | undefined;
  let resyncTimer: NodeJS.Timeout | undefined;

  const report = (err: unknown) => {
    try {
      opts.onError?.(err instanceof Error ? err : new Error(String(err)));
    } catch {
      // a failing error reporter must not stop the informer
    }
  };
  const call = (fn: () => void) => {
    try {
      fn();
    } catch (err) {
      report(err);
    }
  };
  const emitAdd = (o: T) => handlers.forEach((h) => h.onAdd && call(() => h.onAdd!(o)));
  const emitUpdate = (a: T, b: T) => handlers.forEach((h) => h.onUpdate && call(() => h.onUpdate!(a, b)));
  const emitDelete = (o: T) => handlers.forEach((h) => h.onDelete && call(() => h.onDelete!(o)));
  const emitSynced = () => handlers.forEach((h) => h.onSynced && call(() => h.onSynced!()));

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      wakeSleep = resolve;
      sleepTimer = setTimeout(resolve, ms);
    });
  const jitter = (ms: number) => Math.round(ms * (0.5 + Math.random()));

  async function relist(gen: number): Promise<string> {
    const items: T[] = [];
    let cont: string | undefined;
    let rv = '';
    for (;;) {
      let page;
      try {
        page = await client.list(kind, {
          namespace: opts.namespace,
          labelSelector: opts.labelSelector || undefined,
          fieldSelector: opts.fieldSelector || undefined,
          limit: opts.pageSize ?? 500,
          continue: cont,
        });
      } catch (err) {
        if (cont !== undefined && isExpired(err)) {
          // the continue token expired mid-way: start the list over
          items.length = 0;
          cont = undefined;
          continue;
        }
        throw err;
      }
      if (gen !== generation) return '';
      items.push(...(opts.transform ? page.items.map((o) => opts.transform!(o)) : page.items));
      rv = page.metadata.resourceVersion ?? rv;
      cont = page.metadata.continue || undefined;
      if (!cont) break;
    }
    const fresh = new Map<string, T>();
    for (const item of items) fresh.set(objKey(item as Obj), item);
    for (const [k, old] of cache) {
      if (!fresh.has(k)) {
        cache.delete(k);
        emitDelete(old);
      }
    }
    for (const [k, item] of fresh) {
      const old = cache.get(k);
      cache.set(k, item);
      if (old === undefined) emitAdd(item);
      else if ((old as Obj).metadata?.resourceVersion !== (item as Obj).metadata?.resourceVersion) emitUpdate(old, item);
    }
    if (!isSynced) {
      isSynced = true;
      resolveSynced();
    }
    emitSynced();
    return rv;
  }

  /** Applies one watch event; returns the resourceVersion to resume from. */
  function apply(ev: WatchEvent<T>, rv: string): string {
    if (opts.transform && ev.type !== 'ERROR' && ev.type !== 'BOOKMARK') ev = { ...ev, object: opts.transform(ev.object) };
    const obj = ev.object as Obj;
    if (ev.type === 'ERROR') {
      const status = ev.object as { code?: number; reason?: string; message?: string };
      const err = new ApiError(status.code ?? 500, status.reason ?? 'InternalError', status.message ?? 'watch error', [], status);
      if (isExpired(err)) throw new RelistNeeded(err.message);
      throw err;
    }
    const next = obj.metadata?.resourceVersion ?? rv;
    if (ev.type === 'BOOKMARK') return next;
    const k = objKey(obj);
    const old = cache.get(k);
    if (ev.type === 'DELETED') {
      cache.delete(k);
      emitDelete(ev.object);
    } else {
      cache.set(k, ev.object);
      if (old === undefined) emitAdd(ev.object);
      else emitUpdate(old, ev.object);
    }
    return next;
  }

  /** Watches from `rv` until the stream ends; resolves with the last version seen. */
  function watchOnce(gen: number, rv: string): Promise<{ rv: string; events: number }> {
    return new Promise((resolve, reject) => {
      let current = rv;
      let events = 0;
      let done = false;
      let handle: { stop(): void } | undefined;
      const finish = (err?: Error) => {
        if (done) return;
        done = true;
        stopCurrent = undefined;
        if (err) reject(err);
        else resolve({ rv: current, events });
      };
      client
        .watch(kind, {
          namespace: opts.namespace,
          labelSelector: opts.labelSelector,
          fieldSelector: opts.fieldSelector,
          resourceVersion: current,
          allowWatchBookmarks: true,
          timeoutSeconds: watchTimeout + Math.floor(Math.random() * watchTimeout),
          onEvent: (ev) => {
            if (done || gen !== generation) return;
            try {
              current = apply(ev, current);
              events++;
            } catch (err) {
              handle?.stop();
              finish(err as Error);
            }
          },
          onClose: (err) => finish(err),
        })
        .then((h) => {
          handle = h;
          if (done || gen !== generation) h.stop();
          else stopCurrent = () => {
            h.stop();
            finish();
          };
        }, (err: Error) => finish(err));
    });
  }

  async function run(gen: number): Promise<void> {
    let rv: string | undefined;
    let failures = 0;
    while (running && gen === generation) {
      try {
        if (rv === undefined) {
          rv = await relist(gen);
          failures = 0;
          if (gen !== generation) return;
        }
        const startedAt = Date.now();
        const r = await watchOnce(gen, rv);
        rv = r.rv;
        if (r.events > 0 || Date.now() - startedAt >= 5000) failures = 0;
        else {
          // a stream that ended at once without delivering anything: no tight reconnect loop
          failures++;
          await sleep(jitter(Math.min(maxMs, initialMs * 2 ** Math.min(failures - 1, 20))));
        }
      } catch (err) {
        if (!running || gen !== generation) return;
        if (err instanceof RelistNeeded || isExpired(err)) {
          rv = undefined;
          report(err);
          continue;
        }
        report(err);
        if (err instanceof ApiError && err.code > 0 && rv !== undefined && !(err.code >= 500 || err.code === 429)) {
          // the server refused the watch itself (not a transport failure): start over with a list
          rv = undefined;
        }
        failures++;
        await sleep(jitter(Math.min(maxMs, initialMs * 2 ** Math.min(failures - 1, 20))));
      }
    }
  }

  return {
    addHandlers(h) {
      handlers.push(h);
      if (isSynced) {
        for (const o of cache.values()) if (h.onAdd) call(() => h.onAdd!(o));
        if (h.onSynced) call(() => h.onSynced!());
      }
    },
    start() {
      if (running) return;
      running = true;
      const gen = ++generation;
      void run(gen).catch(report);
      if (opts.resyncMs && opts.resyncMs > 0) {
        resyncTimer = setInterval(() => {
          if (isSynced) for (const o of cache.values()) emitUpdate(o, o);
        }, opts.resyncMs);
        resyncTimer.unref();
      }
    },
    stop() {
      running = false;
      generation++;
      stopCurrent?.();
      stopCurrent = undefined;
      if (sleepTimer) clearTimeout(sleepTimer);
      wakeSleep?.();
      if (resyncTimer) clearInterval(resyncTimer);
    },
    synced: () => syncedPromise,
    hasSynced: () => isSynced,
    list: () => [...cache.values()],
    get: (namespace, name) => cache.get(keyOf(kind.namespaced ? namespace : undefined, name)),
  };
}
