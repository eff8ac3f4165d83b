/**
 * Talking to a local cluster's API from the machine's own namespace: over the server's unix
 * socket (health, before the forwarder exists) or through the loopback forwarder with the
 * shared ApiClient.
 */
import { existsSync } from 'node:fs';
import https from 'node:https';
import { ApiClient } from '../controller/api/index.js';
import type { ClusterState } from './state.js';

/**
 * GET `path` on the unix socket (TLS, as the server serves it by default); resolves with the
 * status code (0 when nothing answered). Health probes only: no credential is sent, and the
 * socket is root-only, so the serving certificate is not checked here.
 */
export function socketGet(socketPath: string, path: string, timeoutMs = 2000): Promise<{ code: number; body: string }> {
  return new Promise((resolve) => {
    const req = https.get({ socketPath, path, timeout: timeoutMs, rejectUnauthorized: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', () => resolve({ code: 0, body: '' }));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({ code: 0, body: '' }));
  });
}

/** An administrator client through the forwarder (kubectl's kubeconfig); undefined before both exist. */
export function clusterClient(s: Pick<ClusterState, 'apiPort' | 'kubeconfig'>): ApiClient | undefined {
  return s.apiPort && s.kubeconfig && existsSync(s.kubeconfig) ? ApiClient.fromKubeconfig(s.kubeconfig) : undefined;
}
