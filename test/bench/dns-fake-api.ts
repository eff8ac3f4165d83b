/**
 * A list/watch-only Kubernetes API for the DNS benchmark, on 127.0.0.1 over plain HTTP: N
 * ClusterIP Services `svc-<i>` in namespace `bench` (one named port each) and the `kubernetes`
 * Service, paged lists with continue tokens, and watches that stay open with nothing to report.
 * It lets the benchmark run the real bundled `sextant dns --kubeconfig` at 10,000 services
 * without spending minutes creating them through a real API server on a shared machine.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeApi {
  url: string;
  kubeconfig: string;
  close(): Promise<void>;
}

function services(n: number): object[] {
  const out: object[] = [];
  const svc = (ns: string, name: string, ip: string, port: number, i: number) => ({
    apiVersion: 'v1', kind: 'Service',
    metadata: { namespace: ns, name, uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, resourceVersion: '1', creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { type: 'ClusterIP', clusterIP: ip, clusterIPs: [ip], ipFamilies: ['IPv4'], ports: [{ name: 'http', protocol: 'TCP', port, targetPort: port }] },
    status: { loadBalancer: {} },
  });
  out.push(svc('default', 'kubernetes', '10.96.0.1', 443, 999_999));
  for (let i = 0; i < n; i++) out.push(svc('bench', `svc-${i}`, `10.100.${i >> 8}.${i & 255}`, 80, i));
  return out;
}

/** Serves `n` services; every other kind lists empty. */
export async function startFakeApi(n: number): Promise<FakeApi> {
  const svcs = services(n);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const json = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1') {
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      res.write('');
      return; // stays open; the informer sees no changes
    }
    const m = /\/(services|endpointslices|pods)$/.exec(url.pathname);
    if (!m) return json(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: `${url.pathname} not found` });
    const all = m[1] === 'services' ? svcs : [];
    const limit = Number(url.searchParams.get('limit') ?? 0) || all.length || 1;
    const from = Number(url.searchParams.get('continue') ?? 0);
    const items = all.slice(from, from + limit);
    const next = from + limit < all.length ? String(from + limit) : undefined;
    const listKind = m[1] === 'services' ? 'ServiceList' : m[1] === 'pods' ? 'PodList' : 'EndpointSliceList';
    json(200, { kind: listKind, apiVersion: m[1] === 'endpointslices' ? 'discovery.k8s.io/v1' : 'v1', metadata: { resourceVersion: '1', ...(next ? { continue: next } : {}) }, items });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kubeconfig = [
    'apiVersion: v1', 'kind: Config', 'current-context: bench',
    'clusters: [{name: bench, cluster: {server: "' + url + '"}}]',
    'users: [{name: bench, user: {}}]',
    'contexts: [{name: bench, context: {cluster: bench, user: bench}}]', '',
  ].join('\n');
  return {
    url, kubeconfig,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
