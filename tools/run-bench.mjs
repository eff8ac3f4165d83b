// Runs the benchmarks (test/bench/*.bench.ts), each printing one JSON document.
// Arguments filter by substring: `npm run bench -- proxy`.
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const dir = 'test/bench';
const filters = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
let failed = 0;
for (const f of files) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', `${dir}/${f}`], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
