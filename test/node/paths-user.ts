/**
 * One agent's use of the service-account host paths, as its own process (test/node/
 * service-account-host-paths): acquires with the paths in argv[2] (JSON), prints `acquired
 * <setup>`, releases when a line `release` arrives on stdin, prints `released` and exits.
 */
import { createInterface } from 'node:readline';
import { acquireServiceAccountPaths, type ServiceAccountHostPaths } from '../../node/service-account-host-paths.js';

const lease = await acquireServiceAccountPaths(JSON.parse(process.argv[2]!) as ServiceAccountHostPaths);
console.log(`acquired ${JSON.stringify(lease.setup)}`);
for await (const line of createInterface({ input: process.stdin })) {
  if (line !== 'release') continue;
  await lease.release();
  console.log('released');
  process.exit(0);
}
