// Store benchmark (JSON on stdout): raw better-sqlite3 inserts of ~1.5 KB Pod documents, one
// transaction per insert, WAL with synchronous=FULL (the store's durability) and NORMAL (for
// reference), next to the SQLite store's create/update/get/list rates and watch fan-out in the
// same run. The API server's target is ≥ 10% of the raw FULL insert rate.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../controller/store/sqlite/index.js';
import type { Store, StoredObject } from '../../controller/store/store.js';

const N = Number(process.env.SX_BENCH_N ?? 10_000);

function pod(i: number): StoredObject {
  const name = `web-${i.toString(36).padStart(6, '0')}-7d4b9c`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'bench',
      uid: `0b6c3f1e-4a5d-4c7e-9f2a-${i.toString(16).padStart(12, '0')}`,
      creationTimestamp: '2025-01-01T00:00:00Z',
      labels: { app: 'web', tier: 'frontend', 'pod-template-hash': '7d4b9c' },
      annotations: { 'sextant.io/note': 'benchmark pod' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d4b9c', uid: 'a1b2c3d4', controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      nodeName: `node-${i % 10}`,
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      containers: [
        {
          name: 'web',
          image: 'registry.example.com/team/web-frontend:1.24.3',
          args: ['--listen=:8080', '--log-level=info', '--upstream=http://api.bench.svc.cluster.local:80'],
          ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }, { name: 'metrics', containerPort: 9090, protocol: 'TCP' }],
          env: [{ name: 'MODE', value: 'production' }, { name: 'REGION', value: 'eu-west' }],
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
          readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 5 },
          imagePullPolicy: 'IfNotPresent',
        },
      ],
    },
    status: {
      phase: 'Running',
      podIP: `10.244.${i % 250}.${(i >> 8) % 250}`,
      hostIP: `192.168.0.${i % 10}`,
      conditions: [
        { type: 'Ready', status: 'True', lastTransitionTime: '2025-01-01T00:00:05Z' },
        { type: 'ContainersReady', status: 'True', lastTransitionTime: '2025-01-01T00:00:05Z' },
        { type: 'PodScheduled', status: 'True', lastTransitionTime: '2025-01-01T00:00:00Z' },
      ],
      containerStatuses: [{ name: 'web', ready: true, restartCount: 0, image: 'registry.example.com/team/web-frontend:1.24.3', started: true }],
    },
  };
}

const keyOf = (i: number): string => `/core/pods/bench/${(pod(i).metadata as { name: string }).name}`;

interface Rate {
  count: number;
  seconds: number;
  perSecond: number;
  cpuUserUsPerOp: number;
  cpuSystemUsPerOp: number;
}

/** Sequential ops until `count` or `budgetS` seconds; fsync-bound phases stop early on slow disks. */
const BUDGET_S = Number(process.env.SX_BENCH_BUDGET_S ?? 8);

/**
 * Runs `op(i)` for i = 0..count-1 from `writers` concurrent loops (each awaiting its own call),
 * stopping early after the time budget; CPU is the whole process's user/system time per op.
 */
async function measure(count: number, op: (i: number) => unknown, writers = 1): Promise<Rate> {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const deadline = t0 + BigInt(Math.round(BUDGET_S * 1e9));
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      for (let i = next++; i < count; i = next++) {
        await op(i);
        done++;
        if (process.hrtime.bigint() > deadline) next = count;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    count: done,
    seconds: Math.round(seconds * 1000) / 1000,
    perSecond: Math.round(done / seconds),
    cpuUserUsPerOp: r(cpu.user / done),
    cpuSystemUsPerOp: r(cpu.system / done),
  };
}

function rawInsert(dir: string, sync: 'FULL' | 'NORMAL', docs: string[]): Promise<Rate> {
  const db = new Database(join(dir, `raw-${sync}.db`));
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${sync}`);
  db.exec('CREATE TABLE objects (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
  const ins = db.prepare('INSERT INTO objects (key, value) VALUES (?, ?)');
  return measure(docs.length, (i) => ins.run(keyOf(i), docs[i]!)).finally(() => db.close());
}

async function storeRates(dir: string, sync: 'FULL' | 'NORMAL', objects: StoredObject[]) {
  const store = await openSqliteStore({ path: join(dir, `store-${sync}.db`), synchronous: sync, history: { intervalMs: 0 } });
  try {
    const at = (prefix: string) => (i: number) => store.create(`/core/pods/${prefix}/${i}`, objects[i]!);
    const create = await measure(objects.length, at('seq'));
    if (sync === 'NORMAL') return { create };
    const create4Writers = await measure(objects.length, at('w4'), 4);
    const create64Writers = await measure(objects.length, (i) => store.create(keyOf(i), objects[i]!), 64);
    const loaded = create64Writers.count;
    const update4Writers = await measure(loaded, (i) => store.update(keyOf(i), objects[i]!), 4);
    const get = await measure(loaded, (i) => store.get(keyOf(i)));
    const listAll = await measure(5, () => store.list('/core/pods/bench/'));
    const listPage500 = await measure(50, () => store.list('/core/pods/bench/', { limit: 500 }));
    const watch = await watchFanout(store, objects.slice(0, loaded), 100);
    const compaction = await measure(1, () => store.compact());
    return { create, create4Writers, create64Writers, update4Writers, get, listAll: { ...listAll, items: loaded }, listPage500, watch, compaction };
  } finally {
    await store.close();
  }
}

/**
 * 4 writers update objects while `watchers` watch the prefix; latency = from issuing the update
 * (so it includes the commit and its fsync) to delivery at each watcher.
 */
async function watchFanout(store: Store, objects: StoredObject[], watchers: number) {
  const issuedAt = new Map<string, bigint>();
  const latencies: number[] = [];
  let delivered = 0;
  const from = await store.currentRevision();
  const handles = Array.from({ length: watchers }, () =>
    store.watch('/core/pods/bench/', {
      fromRevision: from,
      onEvent: (e) => {
        delivered++;
        const t = issuedAt.get(String(e.object.metadata?.name));
        if (t !== undefined) latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
      },
      onError: () => undefined,
    }),
  );
  const writes = await measure(Math.min(objects.length, 2000), async (i) => {
    issuedAt.set(String(objects[i]!.metadata?.name), process.hrtime.bigint());
    await store.update(keyOf(i), objects[i]!);
  }, 4);
  while (delivered < writes.count * watchers) await new Promise((r) => setImmediate(r));
  for (const h of handles) h.stop();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]! * 100) / 100;
  return { watchers, writes: writes.count, eventsDelivered: delivered, writesPerSecond: writes.perSecond, latencyMsP50: pct(0.5), latencyMsP99: pct(0.99) };
}

const dir = mkdtempSync(join(tmpdir(), 'sx-store-bench-'));
try {
  const objects = Array.from({ length: N }, (_, i) => pod(i));
  const docs = objects.map((o) => JSON.stringify(o));
  const rawFull = await rawInsert(dir, 'FULL', docs);
  const rawNormal = await rawInsert(dir, 'NORMAL', docs);
  const full = await storeRates(dir, 'FULL', objects);
  const normal = await storeRates(dir, 'NORMAL', objects);
  const result = {
    benchmark: 'store',
    documentBytes: Math.round(docs.reduce((n, d) => n + d.length, 0) / docs.length),
    raw: { walFullOneTxPerInsert: rawFull, walNormalOneTxPerInsert: rawNormal },
    sqliteStore: { synchronousFull: full, synchronousNormal: normal },
    storeCreateVsRawFull: Math.round((full.create.perSecond / rawFull.perSecond) * 1000) / 1000,
    node: process.version,
  };
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
