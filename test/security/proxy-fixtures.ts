/**
 * What the proxy fault tests share: the `web` Service and its EndpointSlice (port 8080 on
 * node-a), and ending the processes a test started, by PID.
 */
import type { ChildProcess } from 'node:child_process';
import type { EndpointSlice, Service } from '../../controller/api/index.js';

export const webService = (clusterIP: string): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { namespace: 'default', name: 'web' },
  spec: { type: 'ClusterIP', clusterIP, clusterIPs: [clusterIP], ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }] },
});

export const webSlice = (ips: string[]): EndpointSlice => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { namespace: 'default', name: 'web-1', labels: { 'kubernetes.io/service-name': 'web' } },
  addressType: 'IPv4',
  ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  endpoints: ips.map((ip) => ({ addresses: [ip], nodeName: 'node-a', conditions: { ready: true } })),
});

/** SIGKILLs each still-running process (newest first) and waits for it to exit. */
export async function killAll(procs: ChildProcess[]): Promise<void> {
  for (const p of [...procs].reverse()) {
    if (p.exitCode === null && p.signalCode === null) {
      const gone = new Promise((r) => p.once('exit', r));
      p.kill('SIGKILL');
      await gone;
    }
  }
}
