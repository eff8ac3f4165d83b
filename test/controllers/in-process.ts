/**
 * An API server on a random loopback port over an in-memory store, with the service allocation
 * admission and the controllers attached exactly as `sextant server` attaches them. For the
 * controller tests that need the real HTTP API but not a separate process.
 */
import { ApiClient } from '../../controller/api/client.js';
import { startApiServer, type ApiServer } from '../../controller/server/api-server.js';
import { createMemoryStore } from '../../controller/store/memory/index.js';
import type { Store } from '../../controller/store/store.js';
import { createLogger } from '../../daemon/logger.js';
import { createServiceAllocationAdmission } from '../../controller/controllers/allocators/admission.js';
import { startControllers, type ControllersOptions, type RunningControllers } from '../../controller/controllers/start.js';
import { enabledControllers } from '../../controller/controllers/flags.js';

export interface InProcessPlane {
  store: Store;
  server: ApiServer;
  client: ApiClient;
  controllers: RunningControllers;
  close(): Promise<void>;
}

export async function startInProcessPlane(opts: { controllers?: string; store?: Store } & Partial<ControllersOptions> = {}): Promise<InProcessPlane> {
  const log = createLogger('test', { silent: !process.env.SX_TEST_LOG });
  const store = opts.store ?? createMemoryStore();
  const allocation = createServiceAllocationAdmission({ store });
  await allocation.start();
  const server = await startApiServer({ store, log, listen: '127.0.0.1:0', admission: [allocation.hook] });
  const client = new ApiClient({ server: server.url });
  const controllers = await startControllers(client, {
    enabled: enabledControllers(opts.controllers ?? '*'),
    advertiseAddress: `127.0.0.1:${server.address.port}`,
    log,
    ...opts,
  });
  return {
    store,
    server,
    client,
    controllers,
    close: async () => {
      await controllers.stop();
      allocation.stop();
      client.close();
      await server.close();
      if (!opts.store) await store.close();
    },
  };
}

/** Polls `fn` until it returns a value that is not undefined/false (or throws after `ms`). */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
