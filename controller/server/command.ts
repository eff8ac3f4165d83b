/**
 * `sextant server`: the control plane process — the Kubernetes API server over the embedded
 * SQLite store. Writes a kubeconfig for kubectl when asked; SIGTERM ends watches, stops the
 * listener and closes the store.
 */
import { chmodSync, rmSync } from 'node:fs';
import http from 'node:http';
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
import { attachControllers } from '../controllers/start.js';
import { controllerFlags } from '../controllers/flags.js';
import { haServerFlags, openServerStore, sharedAllocationClaims, startControllersWhileLeading } from '../leader/server-ha.js';
import { securityFlags } from '../auth/flags.js';
import { setupSecurity } from '../auth/setup.js';
import { issueKubeletClientCredential } from '../auth/kubelet-client.js';
import { splitHostPort } from '../../daemon/status-server.js';
import { InProcessTransport } from '../api/in-process-transport.js';
import type { UserInfo } from './identity.js';

/** Who the in-process controllers are (the subject of the certificate they use over loopback). */
const IN_PROCESS_CONTROLLERS: UserInfo = { name: 'system:kube-controller-manager', groups: ['system:masters', 'system:authenticated'] };

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
    'listen-unix': {
      help: 'also serve the API on this unix socket (mode 0600): the local cluster reaches a server in another network namespace through it',
      schema: z.string().min(1, 'must not be empty').optional(),
    },
    'write-kubeconfig': { help: 'write a kubeconfig for this server to FILE', schema: z.string().min(1, 'must not be empty').optional() },
    'history-revisions': {
      help: 'keep at least this many revisions of history for watches and continue tokens',
      schema: z.coerce.number().int('must be an integer').min(1, 'must be at least 1').default(1000),
    },
    'history-age': { help: 'keep at least this much time of history', schema: flagTypes.duration().prefault('5m') },
    'compact-interval': { help: 'how often old history is compacted', schema: flagTypes.duration().prefault('30s') },
    'sqlite-synchronous': {
      help: 'FULL: a write is acknowledged after fsync (default); NORMAL: survives kill -9 but not power loss',
      schema: z.enum(['FULL', 'NORMAL'], { message: 'must be FULL or NORMAL' }).default('FULL'),
    },
    ...controllerFlags,
    ...haServerFlags,
    ...securityFlags,
  },
  async run(flags) {
    const log = createLogger('server');
    const store = await openServerStore(flags, log, () => openSqliteStore({
      path: join(flags.dataDir, 'state.db'),
      synchronous: flags.sqliteSynchronous,
      history: { revisions: flags.historyRevisions, ageMs: flags.historyAge, intervalMs: flags.compactInterval },
      onBackgroundError: (err) => log.warn('store background task failed', { error: err.message }),
    }));
    const parts = serverParts(allKinds());
    const controllers = await attachControllers(store, flags, log, sharedAllocationClaims(flags, store));
    const security = setupSecurity({
      flags,
      dataDir: flags.dataDir,
      listenHost: splitHostPort(flags.listen).host,
      ...(flags.advertiseAddress ? { advertiseHost: splitHostPort(flags.advertiseAddress).host } : {}),
      store,
      log,
      writePlainKubeconfig: writeKubeconfig,
    });
    // The controllers' requests take the in-process transport (unless --controllers-transport=loopback):
    // the same handler — identity, authorization, admission, validation, watches — without TLS and sockets;
    // by default the loops run in a worker thread and their requests cross to this one (worker-host.ts).
    let inProcess: InProcessTransport | undefined;
    const server = await startApiServer({
      store,
      log,
      listen: flags.listen,
      admission: [...security.admission, ...controllers.admission],
      scheme: security.scheme,
      createServer: security.createServer,
      authenticate: (req) => (inProcess?.owns(req) ? IN_PROCESS_CONTROLLERS : security.authenticate(req)),
      authorize: security.authorize,
      ...(security.pki ? { kubeletClient: issueKubeletClientCredential(security.pki) } : {}),
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 60_000,
      ...(flags.advertiseAddress ? { advertiseAddress: flags.advertiseAddress } : {}),
      ...parts,
    });
    let unixServer: http.Server | undefined;
    if (flags.listenUnix) {
      const path = flags.listenUnix;
      rmSync(path, { force: true });
      const u = security.createServer(server.handler.handle);
      u.on('upgrade', server.upgrade);
      u.headersTimeout = 10_000;
      u.requestTimeout = 60_000;
      await new Promise<void>((resolve, reject) => {
        u.once('error', reject);
        u.listen({ path }, () => resolve());
      });
      chmodSync(path, 0o600);
      unixServer = u;
    }
    const host = server.address.family === 'IPv6' ? `[${server.address.address}]` : server.address.address;
    const url = `${security.scheme}://${flags.advertiseAddress ?? `${host}:${server.address.port}`}`;
    const loopbackHost = host === '0.0.0.0' ? '127.0.0.1' : host === '[::]' ? '[::1]' : host;
    if (flags.controllersTransport !== 'loopback') inProcess = new InProcessTransport(server.handler.handle);
    const leading = inProcess
      ? await startControllersWhileLeading(flags, log, controllers, inProcess.url, url.replace(/^https?:\/\//, ''), { transport: inProcess })
      : await startControllersWhileLeading(flags, log, controllers, `${security.scheme}://${loopbackHost}:${server.address.port}`, url.replace(/^https?:\/\//, ''), security.loopbackClient);
    // The kubeconfig is what clients (and tests) wait for: written once the control loops run
    // (with leader election: once the campaign started), so whoever reads it finds them started.
    const credentials = security.writeCredentials(url, flags.writeKubeconfig);
    log.info('serving', { url, unix: flags.listenUnix ?? null, dataDir: flags.dataDir, kubeconfig: flags.writeKubeconfig ?? null, credentials });
    onShutdown(log, async () => {
      await leading.stop();
      await controllers.stop();
      inProcess?.close();
      if (unixServer) {
        unixServer.closeAllConnections();
        unixServer.close();
      }
      await server.close();
      await store.close();
    });
    await new Promise<never>(() => {});
  },
});
