import { createReadStream, existsSync, readFileSync, statSync, watch } from 'node:fs';
import type http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { kubeletCaller, kubeletServingOptions, type KubeletServingCredential } from '../controller/auth/kubelet-client.js';

/** Finds a container's log file by pod namespace/name and container (undefined: unknown). */
export type LogLocator = (namespace: string, pod: string, container: string | undefined) => { file: string } | { error: string; code: number };

/** The last `n` lines of `text` (a trailing newline does not count as a line). */
export function tailLines(text: string, n: number): string {
  if (n <= 0) return '';
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  const lines = body.split('\n');
  return lines.length <= n ? text : lines.slice(-n).join('\n') + '\n';
}

/** Serves an upgrade request (`pods/exec`) of the authenticated API server. */
export type UpgradeHandler = (req: http.IncomingMessage, socket: Socket, head: Buffer) => void;

export interface AgentEndpointOptions {
  /** The cluster CA (PEM): only a client certificate it signed for the API server's kubelet-client identity is served. */
  ca: string;
  /**
   * The node's serving certificate and key, signed by the cluster CA for the node name (what API
   * servers verify); absent: a self-signed one, which API servers refuse.
   */
  serving?: KubeletServingCredential;
  /** Upgrade requests (exec); absent: 404. */
  upgrade?: UpgradeHandler;
}

/**
 * The agent's HTTPS endpoint, the part of the kubelet API the API server proxies `pods/log` (and
 * `pods/exec`, through `upgrade`) to:
 * `GET /containerLogs/<namespace>/<pod>/<container>?follow=true&tailLines=N&limitBytes=N`.
 * Follow streams new bytes as the container writes them until the client goes away. As the
 * kubelet's, it is reachable on the node address, so it requires a client certificate of the
 * cluster CA (no certificate or another CA: the handshake fails) for the API server's
 * kubelet-client identity (any other user of the cluster: 403). The serving certificate is the
 * node's, of the cluster CA (`serving`), which the API server verifies.
 */
export async function startLogServer(listen: { host: string; port: number }, locate: LogLocator, o: AgentEndpointOptions): Promise<{ address: AddressInfo; close(): Promise<void> }> {
  const server = https.createServer(kubeletServingOptions(o.ca, listen.host, o.serving), (req, res) => {
    const caller = kubeletCaller(req.socket as TLSSocket);
    if (!caller.ok) {
      res.writeHead(caller.code, { 'content-type': 'text/plain' });
      res.end(`${caller.reason}\n`);
      return;
    }
    const url = new URL(req.url ?? '/', 'http://agent');
    const m = /^\/containerLogs\/([^/]+)\/([^/]+)(?:\/([^/]+))?$/.exec(url.pathname);
    if (req.method !== 'GET' || !m) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
      return;
    }
    const where = locate(decodeURIComponent(m[1]!), decodeURIComponent(m[2]!), m[3] ? decodeURIComponent(m[3]) : undefined);
    if ('error' in where) {
      res.writeHead(where.code, { 'content-type': 'text/plain' });
      res.end(`${where.error}\n`);
      return;
    }
    const follow = url.searchParams.get('follow') === 'true';
    const tail = url.searchParams.get('tailLines');
    const limit = url.searchParams.get('limitBytes');
    res.writeHead(200, { 'content-type': 'text/plain', ...(follow ? { 'transfer-encoding': 'chunked' } : {}) });
    const file = where.file;
    let text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    let offset = Buffer.byteLength(text);
    if (tail !== null && /^\d+$/.test(tail)) text = tailLines(text, Number(tail));
    if (limit !== null && /^\d+$/.test(limit)) text = Buffer.from(text).subarray(0, Number(limit)).toString();
    res.write(text);
    if (!follow) {
      res.end();
      return;
    }
    let reading = false;
    const pump = () => {
      if (reading || !existsSync(file)) return;
      const size = statSync(file).size;
      if (size <= offset) return;
      reading = true;
      const s = createReadStream(file, { start: offset, end: size - 1 });
      offset = size;
      s.on('data', (b) => res.write(b));
      s.on('end', () => {
        reading = false;
        pump();
      });
      s.on('error', () => (reading = false));
    };
    const watcher = existsSync(file) ? watch(file, pump) : undefined;
    const timer = setInterval(pump, 250);
    const stop = () => {
      clearInterval(timer);
      watcher?.close();
    };
    req.on('close', stop);
    res.on('close', stop);
  });
  // upgraded connections (exec sessions) leave the HTTP server's books: closing ends them here,
  // which ends their commands (node/exec-server.ts kills a command whose client went away)
  const upgraded = new Set<Socket>();
  server.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
    upgraded.add(socket);
    socket.on('close', () => upgraded.delete(socket));
    socket.on('error', () => socket.destroy());
    const caller = kubeletCaller(req.socket as TLSSocket);
    const refuse = (code: number, text: string) => {
      socket.end(`HTTP/1.1 ${code} ${code === 404 ? 'Not Found' : code === 401 ? 'Unauthorized' : 'Forbidden'}\r\ncontent-type: text/plain\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(text) + 1}\r\n\r\n${text}\n`);
    };
    if (!caller.ok) return refuse(caller.code, caller.reason);
    if (!o.upgrade) return refuse(404, 'not found');
    o.upgrade(req, socket, head);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  return {
    address: server.address() as AddressInfo,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const sock of upgraded) sock.destroy();
      }),
  };
}
