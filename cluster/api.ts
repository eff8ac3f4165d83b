/**
 * Talking to a local cluster's API from the machine's own namespace: over the server's unix
 * socket (health, before the forwarder exists) or through the loopback forwarder with the
 * shared ApiClient.
 */
import http from 'node:http';
import { ApiClient } from '../controller/api/index.js';
import type { ClusterState } from './state.js';

/** GET `path` on the unix socket; resolves with the status code (0 when nothing answered). */
export function socketGet(socketPath: string, path: string, timeoutMs = 2000): Promise<{ code: number; body: string }> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath, path, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', () => resolve({ code: 0, body: '' }));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({ code: 0, body: '' }));
  });
}

/** A client for the cluster through its forwarder; undefined before the forwarder runs. */
export function clusterClient(s: Pick<ClusterState, 'apiPort'>): ApiClient | undefined {
  return s.apiPort ? new ApiClient({ server: `http://127.0.0.1:${s.apiPort}`, userAgent: 'sextant-cluster' }) : undefined;
}
