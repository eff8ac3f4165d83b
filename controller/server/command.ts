/**
 * `sextant server`: the control plane process — the Kubernetes API server over the embedded
 * SQLite store. Writes a kubeconfig for kubectl when asked; SIGTERM ends watches, stops the
 * listener and closes the store.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { defineCommand } from '../../daemon/command.js';
import { flagTypes } from '../../daemon/flags.js';
import { createLogger } from '../../daemon/logger.js';
import { onShutdown } from '../../daemon/shutdown.js';
import { allKinds } from '../api/kinds.js';
import { openSqliteStore } from '../store/sqlite/index.js';
import { startApiServer } from './api-server.js';
import { writeKubeconfig } from './kubeconfig.js';
import { serverParts } from './parts.js';

export default defineCommand({
  name: 'server',
  usage: 'sextant server --data-dir DIR [--listen 127.0.0.1:6443] [--write-kubeconfig FILE]',
  summary: 'Run the control plane: the Kubernetes API server with its embedded SQLite store.',
  flags: {
    'data-dir': { help: 'directory of the store (state.db)', schema: z.string().min(1, 'must not be empty').default('/var/lib/sextant') },
    listen: { help: 'ADDRESS:PORT to serve the API on (port 0 picks a free one)', schema: flagTypes.hostPort().default('127.0.0.1:6443') },
    'advertise-address': {
      help: 'HOST:PORT clients should use (kubeconfig, discovery); default: the listen address',
      schema: flagTypes.hostPort().optional(),
    },
    'write-kubeconfig': { help: 'write a kubeconfig for this server to FILE', schema: z.string().min(1, 'must not be empty').optional() },
    'sqlite-synchronous': {
      help: 'FULL: a write is acknowledged after fsync (default); NORMAL: survives kill -9 but not power loss',
      schema: z.enum(['FULL', 'NORMAL'], { message: 'must be FULL or NORMAL' }).default('FULL'),
    },
  },
  async run(flags) {
    const log = createLogger('server');
    const store = await openSqliteStore({
      path: join(flags.dataDir, 'state.db'),
      synchronous: flags.sqliteSynchronous,
      onBackgroundError: (err) => log.warn('store background task failed', { error: err.message }),
    });
    const parts = serverParts(allKinds());
    const server = await startApiServer({
      store,
      log,
      listen: flags.listen,
      ...(flags.advertiseAddress ? { advertiseAddress: flags.advertiseAddress } : {}),
      ...parts,
    });
    const host = server.address.family === 'IPv6' ? `[${server.address.address}]` : server.address.address;
    const url = `http://${flags.advertiseAddress ?? `${host}:${server.address.port}`}`;
    if (flags.writeKubeconfig) writeKubeconfig(flags.writeKubeconfig, url);
    log.info('serving', { url, dataDir: flags.dataDir, kubeconfig: flags.writeKubeconfig ?? null });
    onShutdown(log, async () => {
      await server.close();
      await store.close();
    });
    await new Promise<never>(() => {});
  },
});
