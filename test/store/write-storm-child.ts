// Child process of durability.test.ts: opens the SQLite store at argv[2] and writes until killed.
// Each line on stdout ("create KEY" / "update KEY N") is printed only after the write was
// acknowledged, i.e. after the store's promise resolved.
import { openSqliteStore } from '../../controller/store/sqlite/index.js';

const [path, tag] = process.argv.slice(2);
if (!path || !tag) {
  process.stderr.write('usage: write-storm-child.ts DB TAG\n');
  process.exit(2);
}

const store = await openSqliteStore({ path });
const pad = 'x'.repeat(1200);
const pod = (name: string, n: number) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'storm', labels: { app: 'storm' } },
  spec: { containers: [{ name: 'c', image: 'busybox', args: [pad] }] },
  status: { phase: 'Running', n },
});

const writer = async (w: number): Promise<never> => {
  for (let i = 0; ; i++) {
    const key = `/core/pods/storm/${tag}-${w}-${i}`;
    await store.create(key, pod(key, 0));
    process.stdout.write(`create ${key}\n`);
    if (i > 0 && i % 4 === 0) {
      const target = `/core/pods/storm/${tag}-${w}-${i - 4}`;
      const next = await store.guaranteedUpdate(target, (cur) => {
        const status = cur.status as { n: number };
        return { ...cur, status: { ...status, n: status.n + 1 } };
      });
      process.stdout.write(`update ${target} ${(next.status as { n: number }).n}\n`);
    }
  }
};

await Promise.all([0, 1, 2, 3].map(writer));
