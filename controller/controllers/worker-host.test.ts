/**
 * The controller worker's lifecycle in `sextant server` (worker-host.ts), with a stand-in worker
 * (worker-host.test-helper.ts): a worker that dies is started again until `stop()`, and one
 * that cannot start makes the start fail with its reason. The real worker runs in
 * test/controllers/transport.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BroadcastChannel } from 'node:worker_threads';
import { InProcessTransport } from '../api/in-process-transport.js';
import { startControllerWorker } from './worker-host.js';
import type { WorkerControllerOptions } from './worker-protocol.js';

const HELPER = new URL('./worker-host.test-helper.ts', import.meta.url);
const options = (mode: string): WorkerControllerOptions => ({
  enabled: ['endpointslice'], serviceCIDR: '10.96.0.0/12', clusterCIDR: '10.244.0.0/16', nodeCIDRMaskSize: 24, nodeGracePeriodMs: 40_000, advertiseAddress: mode,
});

function recordingLog() {
  const lines: { level: string; message: string; meta?: object }[] = [];
  const at = (level: string) => (message: string, meta?: object) => {
    lines.push({ level, message, ...(meta ? { meta } : {}) });
  };
  return { lines, log: { info: at('info'), error: at('error') } };
}

test('a controller worker that dies is started again (after 1 s, then 2 s), and not after stop()', async () => {
  const transport = new InProcessTransport((_req, res) => res.end());
  const starts: number[] = [];
  const channel = new BroadcastChannel('sx-worker-host-test');
  channel.onmessage = () => starts.push(Date.now());
  const { lines, log } = recordingLog();
  const w = await startControllerWorker(transport, options('crash'), log, HELPER);
  try {
    for (let i = 0; i < 600 && starts.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(starts.length, 3, 'started, died, started again twice');
    assert.ok(starts[1]! - starts[0]! >= 900, 'first restart after about 1 s');
    assert.ok(starts[2]! - starts[1]! >= 1900, 'second restart after about 2 s');
    const died = lines.filter((l) => l.level === 'error' && l.message.includes('died'));
    assert.ok(died.length >= 2);
    assert.match(JSON.stringify(died[0]!.meta), /controller loop blew up/);
  } finally {
    await w.stop();
  }
  const n = starts.length;
  await new Promise((r) => setTimeout(r, 4500));
  assert.equal(starts.length, n, 'no start after stop()');
  channel.close();
  transport.close();
});

test('a controller worker that cannot start fails the start with its reason', async () => {
  const transport = new InProcessTransport((_req, res) => res.end());
  const { log } = recordingLog();
  await assert.rejects(startControllerWorker(transport, options('fail'), log, HELPER), /controllers: no API today/);
  await assert.rejects(startControllerWorker(transport, options('exit'), log, HELPER), /exit code 3/);
  transport.close();
});
