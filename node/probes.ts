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
      const done = (r: string | null) => {
        s.destroy();
        resolve(r);
      };
      s.setTimeout(timeoutMs, () => done(`dial tcp ${t.podIp}:${port}: i/o timeout`));
      s.on('connect', () => done(null));
      s.on('error', (e) => done(`dial tcp ${t.podIp}:${port}: ${e.message}`));
    });
  }
  if (p.httpGet) {
    const port = portOf(p.httpGet.port, t.container);
    if (port === undefined) return Promise.resolve(`unknown port ${String(p.httpGet.port)}`);
    const headers: Record<string, string> = { 'User-Agent': 'kube-probe/1.32' };
    for (const h of p.httpGet.httpHeaders ?? []) headers[h.name] = h.value;
    return new Promise((resolve) => {
      const req = http.get({ host: p.httpGet!.host ?? t.podIp, port, path: p.httpGet!.path ?? '/', headers, timeout: timeoutMs }, (res) => {
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
