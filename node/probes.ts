import { execFile } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import type { Container, Probe } from '../controller/api/index.js';
import { toolPath } from '../kernel/exec-tool.js';

export interface ProbeTarget {
  podIp: string;
  /** The pod's network namespace name, for exec probes. */
  netns: string;
  container: Container;
}

/** Resolves a probe port (number or a container port's name). */
function portOf(port: number | string, c: Container): number | undefined {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  return c.ports?.find((p) => p.name === port)?.containerPort;
}

/**
 * Ends a probe connection with a FIN and drains what the server sends until it closes too, so a
 * server that greets on accept sees an orderly close, never a reset. Closing a socket with unread
 * data makes the kernel send RST; a server without an 'error' handler then dies of ECONNRESET (the
 * cause of the two-node test's refused pod). The socket is destroyed at the latest after `ms`.
 */
function closeGracefully(s: net.Socket, ms: number): void {
  s.on('error', () => undefined);
  s.resume();
  s.end();
  s.setTimeout(0);
  const t = setTimeout(() => s.destroy(), ms);
  t.unref();
  s.on('close', () => clearTimeout(t));
}

/**
 * Runs one probe attempt as the kubelet does: `tcpSocket` connects to the pod IP, `httpGet`
 * expects a 2xx/3xx answer, `exec` runs the command inside the pod's network namespace and
 * expects exit 0. Resolves with a failure reason, or null on success.
 */
export function runProbe(p: Probe, t: ProbeTarget): Promise<string | null> {
  const timeoutMs = (p.timeoutSeconds ?? 1) * 1000;
  if (p.tcpSocket) {
    const port = portOf(p.tcpSocket.port, t.container);
    if (port === undefined) return Promise.resolve(`unknown port ${String(p.tcpSocket.port)}`);
    return new Promise((resolve) => {
      const s = net.connect({ host: p.tcpSocket!.host ?? t.podIp, port });
      let settled = false;
      const done = (r: string | null) => {
        if (settled) return;
        settled = true;
        resolve(r);
        if (r !== null) s.destroy();
      };
      s.setTimeout(timeoutMs, () => {
        done(`dial tcp ${t.podIp}:${port}: i/o timeout`);
        s.destroy();
      });
      s.on('connect', () => {
        done(null);
        closeGracefully(s, timeoutMs);
      });
      s.on('error', (e) => done(`dial tcp ${t.podIp}:${port}: ${e.message}`));
    });
  }
  if (p.httpGet) {
    const port = portOf(p.httpGet.port, t.container);
    if (port === undefined) return Promise.resolve(`unknown port ${String(p.httpGet.port)}`);
    const headers: Record<string, string> = { 'User-Agent': 'kube-probe/1.32' };
    for (const h of p.httpGet.httpHeaders ?? []) headers[h.name] = h.value;
    return new Promise((resolve) => {
      const req = http.get({ host: p.httpGet!.host ?? t.podIp, port, path: p.httpGet!.path ?? '/', headers: { Connection: 'close', ...headers }, agent: false, timeout: timeoutMs }, (res) => {
        res.resume();
        const code = res.statusCode ?? 0;
        resolve(code >= 200 && code < 400 ? null : `HTTP probe failed with statuscode: ${code}`);
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => resolve(`Get http://${t.podIp}:${port}${p.httpGet!.path ?? '/'}: ${e.message}`));
    });
  }
  if (p.exec?.command?.length) {
    return new Promise((resolve) => {
      execFile(toolPath('ip'), ['netns', 'exec', t.netns, ...p.exec!.command!], { timeout: timeoutMs }, (err, _o, stderr) => {
        resolve(err ? `command ${JSON.stringify(p.exec!.command)} failed: ${(stderr || err.message).trim()}` : null);
      });
    });
  }
  return Promise.resolve('probe has no handler (tcpSocket, httpGet or exec)');
}
