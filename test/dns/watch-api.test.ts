/**
 * `sextant dns --kubeconfig` against a real `sextant server` (HTTPS, the admin client certificate
 * from its --write-kubeconfig file), both as child processes on 127.0.0.1 with random ports:
 * SERVFAIL and /ready 503 before the first sync, then 200; Services (ClusterIP, headless with a
 * selector-less EndpointSlice, ExternalName) created with kubectl answer through dig; deleted
 * ones are NXDOMAIN within one TTL; /health, /ready and /metrics answer with CoreDNS's metric
 * names counting the queries sent; SIGTERM keeps answering through the lame-duck delay.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiClient } from '../../controller/api/client.js';
import { KINDS } from '../../controller/api/index.js';
import { startTestServer, type TestServer } from '../server/harness.js';
import { lines, status } from './harness.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const TTL = 5;
const LAMEDUCK_MS = 3000;

interface DnsProc { child: ChildProcess; port: number; http: Record<string, number>; logs: Record<string, unknown>[]; exited: Promise<number | null> }

let api: TestServer;
let dns: DnsProc | undefined;

/** Starts `sextant dns` on 127.0.0.1 with every port chosen by the kernel; resolves on "serving". */
async function startDns(kubeconfig: string, extra: string[] = []): Promise<DnsProc> {
  const child = spawn(process.execPath, [
    '--import', 'tsx', join(repo, 'cli/main.ts'), 'dns', '--kubeconfig', kubeconfig, '--listen', '127.0.0.1:0',
    '--upstream', '127.0.0.1:9', '--ttl', String(TTL), '--lameduck', `${LAMEDUCK_MS}ms`,
    '--metrics-listen', '127.0.0.1:0', '--health-listen', '127.0.0.1:0', '--ready-listen', '127.0.0.1:0', ...extra,
  ], { cwd: repo, stdio: ['ignore', 'ignore', 'pipe'] });
  const logs: Record<string, unknown>[] = [];
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const serving = new Promise<Record<string, unknown>>((resolveServing, reject) => {
    readline.createInterface({ input: child.stderr! }).on('line', (l) => {
      let e: Record<string, unknown>;
      try { e = JSON.parse(l) as Record<string, unknown>; } catch { e = { raw: l }; }
      logs.push(e);
      if (e.message === 'serving') resolveServing(e);
    });
    void exited.then((code) => reject(new Error(`sextant dns exited (${code}): ${JSON.stringify(logs)}`)));
  });
  const s = await serving;
  return { child, port: s.port as number, http: s.http as Record<string, number>, logs, exited };
}

function dig(args: string[]): Promise<string> {
  return new Promise((res) => {
    execFile('dig', ['@127.0.0.1', '-p', String(dns!.port), '+tries=1', '+time=2', ...args], { timeout: 10_000 }, (_e, stdout) => res(String(stdout)));
  });
}

async function get(name: 'health' | 'ready' | 'metrics', path: string): Promise<{ code: number; body: string }> {
  const r = await fetch(`http://127.0.0.1:${dns!.http[name]}${path}`);
  return { code: r.status, body: await r.text() };
}

/** Polls `f` until it returns a value, for at most `ms`; returns it with the time it took. */
async function until<T>(what: string, f: () => Promise<T | undefined>, ms: number): Promise<{ value: T; ms: number }> {
  const t0 = Date.now();
  for (;;) {
    const v = await f();
    if (v !== undefined) return { value: v, ms: Date.now() - t0 };
    if (Date.now() - t0 > ms) assert.fail(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The sum of the samples of `name` whose labels include `labels`, from Prometheus text. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  let found = false;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) {
      sum += Number(m[3]);
      found = true;
    }
  }
  return found ? sum : NaN;
}

before(async () => {
  api = await startTestServer();
  // The server's controllers (a worker thread of theirs) create default/kubernetes soon after it
  // serves; the first test stops the server and expects that Service's record once DNS syncs.
  const client = ApiClient.fromKubeconfig(api.kubeconfig);
  try {
    await until('default/kubernetes exists', () => client.get(KINDS.Service, 'default', 'kubernetes').then(() => true, () => undefined), 30_000);
  } finally {
    client.close();
  }
  await api.stop();
});
after(async () => {
  if (dns && dns.child.exitCode === null) dns.child.kill('SIGKILL');
  await api?.cleanup();
});

test('before the first sync: SERVFAIL for cluster names, /ready 503, /health 200; then synced, /ready 200', async () => {
  dns = await startDns(api.kubeconfig);
  for (const name of ['kubernetes.default.svc.cluster.local', 'nope.default.svc.cluster.local']) {
    assert.equal(status(await dig([name, 'A'])), 'SERVFAIL', name);
  }
  const notReady = await get('ready', '/ready');
  assert.equal(notReady.code, 503);
  assert.match(notReady.body, /not synced/);
  assert.deepEqual(await get('health', '/health'), { code: 200, body: 'OK' });
  assert.equal((await get('health', '/nope')).code, 404);

  await api.restart();
  await until('/ready answers 200', async () => ((await get('ready', '/ready')).code === 200 ? true : undefined), 60_000);
  assert.equal((await get('ready', '/ready')).body, 'OK');
  // The SERVFAILs above were not cached: the same questions have their real answers now.
  assert.deepEqual(lines(await dig(['kubernetes.default.svc.cluster.local', 'A', '+noall', '+answer'])), [`kubernetes.default.svc.cluster.local. ${TTL} IN A 10.96.0.1`]);
  assert.equal(status(await dig(['nope.default.svc.cluster.local', 'A'])), 'NXDOMAIN');
});

const manifests = `
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  ports: [{name: http, port: 80, protocol: TCP}]
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: default}
spec:
  clusterIP: None
  ports: [{name: pg, port: 5432}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: db-1, namespace: default, labels: {kubernetes.io/service-name: db}}
addressType: IPv4
ports: [{name: pg, port: 5432, protocol: TCP}]
endpoints:
- {addresses: [10.244.1.5], hostname: db-0, conditions: {ready: true}}
- {addresses: [10.244.2.6], conditions: {ready: true}}
- {addresses: [10.244.3.7], conditions: {ready: false}}
---
apiVersion: v1
kind: Service
metadata: {name: ext, namespace: default}
spec: {type: ExternalName, externalName: example.com}
`;

test('Services created with kubectl answer as soon as the watch delivers them', async () => {
  const applied = await api.kubectl(['apply', '-f', api.manifest('dns-objects.yaml', manifests)]);
  assert.equal(applied.code, 0, applied.stderr);
  const web = await api.kubectl(['get', 'service', 'web', '-o', 'jsonpath={.spec.clusterIP}']);
  const ip = web.stdout.trim();
  assert.match(ip, /^10\.96\.\d+\.\d+$/);
  const answer = (args: string[]) => async () => {
    const got = lines(await dig([...args, '+noall', '+answer']));
    return got.length > 0 ? got : undefined;
  };
  const cases: { args: string[]; want: string[] }[] = [
    { args: ['web.default.svc.cluster.local', 'A'], want: [`web.default.svc.cluster.local. ${TTL} IN A ${ip}`] },
    { args: ['_http._tcp.web.default.svc.cluster.local', 'SRV'], want: [`_http._tcp.web.default.svc.cluster.local. ${TTL} IN SRV 0 100 80 web.default.svc.cluster.local.`] },
    { args: ['-x', ip], want: [`${ip.split('.').reverse().join('.')}.in-addr.arpa. ${TTL} IN PTR web.default.svc.cluster.local.`] },
    { args: ['db.default.svc.cluster.local', 'A'], want: [`db.default.svc.cluster.local. ${TTL} IN A 10.244.1.5`, `db.default.svc.cluster.local. ${TTL} IN A 10.244.2.6`] },
    { args: ['db-0.db.default.svc.cluster.local', 'A'], want: [`db-0.db.default.svc.cluster.local. ${TTL} IN A 10.244.1.5`] },
    { args: ['_pg._tcp.db.default.svc.cluster.local', 'SRV'], want: [`_pg._tcp.db.default.svc.cluster.local. ${TTL} IN SRV 0 50 5432 10-244-2-6.db.default.svc.cluster.local.`, `_pg._tcp.db.default.svc.cluster.local. ${TTL} IN SRV 0 50 5432 db-0.db.default.svc.cluster.local.`] },
    { args: ['ext.default.svc.cluster.local', 'CNAME'], want: [`ext.default.svc.cluster.local. ${TTL} IN CNAME example.com.`] },
  ];
  for (const c of cases) {
    const { value } = await until(c.args.join(' '), answer(c.args), 15_000);
    assert.deepEqual(value, c.want, c.args.join(' '));
  }
  assert.equal(status(await dig(['10-244-3-7.db.default.svc.cluster.local', 'A'])), 'NXDOMAIN', 'a not-ready endpoint has no name');
});

test('deleted Services (and a headless one whose last endpoint is not ready) are NXDOMAIN within one TTL', async () => {
  const notReady = JSON.stringify({ endpoints: [{ addresses: ['10.244.1.5'], hostname: 'db-0', conditions: { ready: false } }] });
  const changes: { what: string; kubectl: string[]; name: string }[] = [
    { what: 'ClusterIP deleted', kubectl: ['delete', 'service', 'web'], name: 'web.default.svc.cluster.local' },
    { what: 'ExternalName deleted', kubectl: ['delete', 'service', 'ext'], name: 'ext.default.svc.cluster.local' },
    { what: 'headless, no ready endpoint', kubectl: ['patch', 'endpointslice', 'db-1', '--type', 'merge', '-p', notReady], name: 'db.default.svc.cluster.local' },
  ];
  for (const c of changes) {
    assert.equal(status(await dig([c.name, 'A'])), 'NOERROR', `${c.what}: resolves before`);
    const r = await api.kubectl(c.kubectl);
    assert.equal(r.code, 0, r.stderr);
    await until(`${c.what}: ${c.name} NXDOMAIN`, async () => (status(await dig([c.name, 'A'])) === 'NXDOMAIN' ? true : undefined), TTL * 1000);
  }
});

test('/metrics: CoreDNS metric names, counting the queries sent', async () => {
  const before = (await get('metrics', '/metrics')).body;
  for (const name of ['coredns_dns_requests_total', 'coredns_dns_responses_total', 'coredns_dns_request_duration_seconds_bucket', 'coredns_dns_request_size_bytes_bucket', 'coredns_dns_response_size_bytes_bucket', 'coredns_cache_entries', 'coredns_forward_requests_total']) {
    assert.match(before, new RegExp(`^# TYPE ${name.replace(/_bucket$/, '')} `, 'm'), name);
  }
  const N = 7;
  for (let i = 0; i < N; i++) await dig(['dns-version.cluster.local', 'TXT']);
  for (let i = 0; i < N; i++) await dig([`missing-${i}.default.svc.cluster.local`, 'AAAA']);
  const after = (await get('metrics', '/metrics')).body;
  const delta = (name: string, labels: Record<string, string>) => (sample(after, name, labels) || 0) - (sample(before, name, labels) || 0);
  assert.equal(delta('coredns_dns_requests_total', { type: 'TXT', proto: 'udp', family: '1' }), N);
  assert.equal(delta('coredns_dns_requests_total', { type: 'AAAA', proto: 'udp', family: '1' }), N);
  assert.equal(delta('coredns_dns_responses_total', { rcode: 'NXDOMAIN' }), N);
  assert.ok(delta('coredns_dns_responses_total', { rcode: 'NOERROR' }) >= N);
  assert.equal(delta('coredns_dns_request_duration_seconds_count', { type: 'TXT' }), N);
  assert.equal(delta('coredns_dns_response_size_bytes_count', { proto: 'udp' }), 2 * N);
});

test('SIGTERM: answers and /health keep working through the lame-duck delay, then a clean exit', async () => {
  const p = dns!;
  const t0 = Date.now();
  p.child.kill('SIGTERM');
  await until('the shutdown to begin', async () => (p.logs.some((l) => l.message === 'shutting down') ? true : undefined), 5000);
  assert.equal(status(await dig(['kubernetes.default.svc.cluster.local', 'A'])), 'NOERROR', 'still answering');
  assert.equal((await get('health', '/health')).code, 200);
  assert.equal(p.child.exitCode, null, 'still running');
  const code = await p.exited;
  assert.equal(code, 0);
  assert.ok(Date.now() - t0 >= LAMEDUCK_MS, `exited after ${Date.now() - t0} ms, before the ${LAMEDUCK_MS} ms lame duck`);
});

test('--workers 3: /metrics counts the queries every UDP thread answered, changes reach every thread, clean SIGTERM', async () => {
  dns = await startDns(api.kubeconfig, ['--workers', '3', '--lameduck', '0s']);
  await until('/ready answers 200', async () => ((await get('ready', '/ready')).code === 200 ? true : undefined), 60_000);
  const before = (await get('metrics', '/metrics')).body;
  const N = 40;
  const answers = await Promise.all(Array.from({ length: N }, () => dig(['dns-version.cluster.local', 'TXT', '+short'])));
  assert.ok(answers.every((a) => a.trim() === '"1.1.0"'), answers.join(','));
  const after = (await get('metrics', '/metrics')).body;
  const count = (t: string) => sample(t, 'coredns_dns_requests_total', { type: 'TXT' }) || 0;
  assert.equal(count(after) - count(before), N);
  assert.deepEqual(await get('health', '/health'), { code: 200, body: 'OK' });
  // Changes reach every thread: every index change clears every thread's packet cache.
  const created = await api.kubectl(['create', 'service', 'clusterip', 'late', '--tcp=80:80']);
  assert.equal(created.code, 0, created.stderr);
  const all = async (want: string) => (await Promise.all(Array.from({ length: 20 }, () => dig(['late.default.svc.cluster.local', 'A'])))).every((o) => status(o) === want);
  await until('every worker answers the new Service', async () => ((await all('NOERROR')) ? true : undefined), 15_000);
  const deleted = await api.kubectl(['delete', 'service', 'late']);
  assert.equal(deleted.code, 0, deleted.stderr);
  await until('every worker answers NXDOMAIN after the delete', async () => ((await all('NXDOMAIN')) ? true : undefined), TTL * 1000);
  dns.child.kill('SIGTERM');
  assert.equal(await dns.exited, 0);
});
