/**
 * `cluster down` after `cluster up` was killed half-way (SIGKILL, so no cleanup of its own ran):
 * the state file written after every step lets `down` remove every namespace, process and file,
 * while the main e2e suite's cluster, running beside this file, is left alone (that suite would fail).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import { isRunning } from '../../cluster/processes.js';
import type { ClusterState } from '../../cluster/state.js';
import { ensureBuilt, eventually, SEXTANT } from './harness.js';

test('cluster down cleans up after a cluster up killed with SIGKILL mid-way', { timeout: 180_000 }, async () => {
  if (process.getuid?.() !== 0) throw new Error('test/e2e needs root (network namespaces)');
  ensureBuilt();
  const name = `cr${randomBytes(2).toString('hex')}`;
  const stateFile = `/run/sextant/${name}/state.json`;
  const up = spawn(process.execPath, [SEXTANT, 'cluster', 'up', '--name', name, '--nodes', '2'], { stdio: 'ignore' });
  let state: ClusterState | undefined;
  try {
    // Kill it once the server has been started: hosts exist, a daemon runs, nothing is finished.
    state = await eventually('cluster up started the server', 60_000, async () => {
      if (!existsSync(stateFile)) return undefined;
      const s = JSON.parse(readFileSync(stateFile, 'utf8')) as ClusterState;
      return s.processes.some((p) => p.id === 'server') ? s : undefined;
    });
    up.kill('SIGKILL');
    assert.ok(state.namespaces.length >= 4, `namespaces recorded: ${state.namespaces.join(', ')}`);
    for (const ns of state.namespaces) assert.ok(existsSync(`/run/netns/${ns}`), `${ns} exists before down`);
  } finally {
    if (up.exitCode === null) up.kill('SIGKILL');
    const down = spawn(process.execPath, [SEXTANT, 'cluster', 'down', '--name', name], { stdio: 'ignore' });
    await new Promise((r) => down.on('exit', r));
  }
  const after = readdirSync('/run/netns');
  assert.deepEqual(after.filter((n) => n.startsWith(`sx-${name}-`)), [], 'no host namespace left');
  for (const p of state.processes) {
    assert.ok(!isRunning(p), `${p.id} (pid ${p.pid}) still running`);
  }
  assert.ok(!existsSync(state.layout.stateDir) && !existsSync(state.layout.dataDir), 'state and data dirs removed');
});

test('cluster up that fails prints the step and the reason, then removes what it made', { timeout: 120_000 }, async () => {
  if (process.getuid?.() !== 0) throw new Error('test/e2e needs root (network namespaces)');
  ensureBuilt();
  const name = `cf${randomBytes(2).toString('hex')}`;
  // 1 ms for each step: the hosts are built (no wait), the control plane cannot be ready in time.
  const up = spawn(process.execPath, [SEXTANT, 'cluster', 'up', '--name', name, '--nodes', '1', '--timeout', '1ms'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  up.stdout.on('data', (d: Buffer) => (out += d));
  up.stderr.on('data', (d: Buffer) => (out += d));
  const code = await new Promise<number | null>((r) => up.on('exit', r));
  assert.equal(code, 1, out);
  assert.match(out, /✓ hosts/);
  assert.match(out, /✗ control plane\s+cluster: API server \/readyz .* not done after 0\.0s/);
  assert.match(out, /removing what was made/);
  assert.deepEqual(readdirSync('/run/netns').filter((n) => n.startsWith(`sx-${name}-`)), []);
  assert.ok(!existsSync(`/run/sextant/${name}`) && !existsSync(`/var/lib/sextant/clusters/${name}`), 'state and data dirs removed');
});
