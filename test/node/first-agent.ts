/**
 * The first agent of test/node/adopted-exit: runs pod workers for the pods in argv[3] (JSON) with
 * state in argv[2], waits until every container runs, detaches them as `NodeAgent.stop()` does
 * and exits — so the containers outlive their parent and the next agent can only adopt them.
 */
import type { Pod } from '../../controller/api/index.js';
import { PodWorker } from '../../node/pod-worker.js';
import { workerHost } from './worker-host.js';

const [stateDir, logDir, podsJson] = process.argv.slice(2);
const { host, store } = workerHost(stateDir!, logDir!);
const pods = JSON.parse(podsJson!) as Pod[];
const workers = pods.map((p) => new PodWorker(p, host));
for (const w of workers) await w.start();
const running = () => {
  const records = store.loadAll().records;
  return pods.every((p) => records.some((r) => r.uid === p.metadata.uid && p.spec.containers.every((c) => r.containers[c.name]?.pid !== undefined)));
};
const until = Date.now() + 30_000;
while (!running()) {
  if (Date.now() > until) throw new Error('containers did not start');
  await new Promise((r) => setTimeout(r, 50));
}
for (const w of workers) w.detach();
console.log('detached');
process.exit(0);
