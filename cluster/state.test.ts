import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isClusterError } from './errors.js';
import { planLayout } from './layout.js';
import { newState, readState, writeState } from './state.js';

test('state file: round trip, and errors that name the file and the field', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sx-state-'));
  try {
    const path = join(dir, 'x', 'state.json');
    const s = newState(planLayout({ name: 'sx', nodes: 2 }), { node: '/usr/bin/node', script: '/x/sextant.mjs' });
    s.processes.push({ id: 'server', host: 'cp', pid: 42, startTime: '123', argv: ['node', 'server'], log: '/l' });
    writeState(path, s);
    assert.deepEqual(readState(path), s);
    const cases = [
      { name: 'missing', text: undefined, code: 'CLUSTER_NOT_FOUND', msg: /no cluster state at/ },
      { name: 'not JSON', text: '{', code: 'CLUSTER_STATE_INVALID', msg: /not JSON/ },
      { name: 'bad pid', text: JSON.stringify({ ...s, processes: [{ ...s.processes[0], pid: -1 }] }), code: 'CLUSTER_STATE_INVALID', msg: /processes\.0\.pid/ },
      { name: 'wrong version', text: JSON.stringify({ ...s, version: 2 }), code: 'CLUSTER_STATE_INVALID', msg: /version/ },
    ] as const;
    for (const c of cases) {
      await t.test(c.name, () => {
        const p = join(dir, `${c.name}.json`);
        if (c.text !== undefined) writeFileSync(p, c.text);
        assert.throws(() => readState(p), (err: unknown) => isClusterError(err, c.code) && c.msg.test((err as Error).message));
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
