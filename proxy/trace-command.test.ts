import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFakeIptables } from '../kernel/iptables-fake.js';
import { JUMP_RULES, buildRules } from './core/index.js';
import { CONFIG, NODE_IP, scenarioState } from './core/test-scenario.js';

const root = new URL('../', import.meta.url).pathname;

test('sextant trace --from-file prints the path, the endpoint and the masquerade verdict', async () => {
  const ipt = createFakeIptables();
  const s = scenarioState();
  await ipt.restore(buildRules(CONFIG, { services: s.services, endpoints: s.endpoints, full: true, changedServices: s.changed, existingChains: new Set(), missingJumps: JUMP_RULES }).payload);
  const dir = mkdtempSync(join(tmpdir(), 'sx-trace-'));
  try {
    const file = join(dir, 'dump.txt');
    writeFileSync(file, await ipt.save());
    const cases: { args: string[]; want: RegExp[]; code?: number }[] = [
      { args: ['--src', '203.0.113.5', '--dst', NODE_IP, '--port', '30081'], want: [/path 1 of 1 \(probability 100\.0%\)/, /nat\/SX-NODEPORTS +-A SX-NODEPORTS .*--dport 30081/, /=> endpoint 10\.244\.1\.5:8080; masqueraded: no/] },
      { args: ['--src', '203.0.113.5', '--dst', NODE_IP, '--port', '30086'], want: [/filter\/SX-EXTERNAL-SERVICES .*has no endpoints/, /=> REJECT/] },
      { args: ['--src', 'nope', '--dst', NODE_IP, '--port', '99999'], want: [/--src: must be an IPv4 address/, /--port: must be 0-65535/], code: 2 },
    ];
    for (const c of cases) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'trace', '--from-file', file, '--node-ip', NODE_IP, ...c.args], { cwd: root, encoding: 'utf8' });
      assert.equal(r.status, c.code ?? 0, r.stderr);
      for (const w of c.want) assert.match(r.stdout + r.stderr, w);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
