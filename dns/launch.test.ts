import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import readline from 'node:readline';
import { DNS_ENV, DNS_NODE_OPTIONS, dnsArgv, missingLaunchSettings } from './launch.js';
import { dnsDeployment } from '../cluster/manifests.js';

const ALL = { MALLOC_ARENA_MAX: '2' };

test('missingLaunchSettings: what a process lacks, from its argv and environment', () => {
  const cases: { name: string; execArgv: string[]; env: Record<string, string | undefined>; want: string[] }[] = [
    { name: 'nothing given', execArgv: [], env: {}, want: ['--max-semi-space-size=1', 'MALLOC_ARENA_MAX=2'] },
    { name: 'everything on the command line', execArgv: ['--max-semi-space-size=1'], env: ALL, want: [] },
    { name: 'the node option in NODE_OPTIONS', execArgv: [], env: { ...ALL, NODE_OPTIONS: '--enable-source-maps  --max-semi-space-size=1' }, want: [] },
    { name: 'another size chosen by the operator', execArgv: ['--max-semi-space-size=4'], env: ALL, want: [] },
    { name: 'V8 spelling with underscores', execArgv: ['--max_semi_space_size=1'], env: ALL, want: [] },
    { name: 'an empty variable is not set', execArgv: ['--max-semi-space-size=1'], env: { MALLOC_ARENA_MAX: '' }, want: ['MALLOC_ARENA_MAX=2'] },
    { name: 'a different option is not it', execArgv: ['--max-old-space-size=1'], env: ALL, want: ['--max-semi-space-size=1'] },
  ];
  for (const c of cases) assert.deepEqual(missingLaunchSettings(c.execArgv, c.env), c.want, c.name);
});

test('the cluster starts its DNS pods with the launch settings', () => {
  const d = dnsDeployment({ sextant: ['/usr/bin/node', '/opt/sextant.mjs'], podKubeconfig: '/k', clusterIP: '10.96.0.10', replicas: 2 });
  const c = d.spec!.template.spec!.containers[0]!;
  assert.deepEqual(c.command, ['/usr/bin/node', ...DNS_NODE_OPTIONS, '/opt/sextant.mjs', 'dns']);
  assert.deepEqual(c.command, dnsArgv('/usr/bin/node', '/opt/sextant.mjs'));
  assert.deepEqual(Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value])), DNS_ENV);
});

test('the node option is in effect in a process started with it: new space stays at 1 MB semi-spaces', () => {
  // Many objects that survive scavenges: without the option V8 grows new space to 16 MB semi-spaces.
  const probe = "const k=[];for(let i=0;i<300000;i++)k.push({a:'x'+i,b:[i]});const s=require('v8').getHeapSpaceStatistics().find((x)=>x.space_name==='new_space');process.stdout.write(String(s.space_size))";
  const size = (opts: readonly string[]) => Number(spawnSync(process.execPath, [...opts, '-e', probe], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } }).stdout);
  const capped = size(DNS_NODE_OPTIONS);
  const free = size([]);
  assert.ok(capped > 0 && capped <= 2 * 1024 * 1024, `new space ${capped} bytes with ${DNS_NODE_OPTIONS.join(' ')}`);
  assert.ok(free > capped, `new space ${free} bytes without the option, ${capped} with it`);
});

/** Starts `sextant dns` (API unreachable: it serves SERVFAIL until synced) and returns its log lines up to "serving". */
async function startupLogs(nodeOptions: readonly string[], env: Record<string, string>): Promise<Record<string, unknown>[]> {
  const dir = mkdtempSync(join(tmpdir(), 'sx-dns-launch-'));
  try {
    const kc = join(dir, 'kubeconfig');
    writeFileSync(kc, ['apiVersion: v1', 'kind: Config', 'current-context: x', 'clusters: [{name: x, cluster: {server: "http://127.0.0.1:9"}}]',
      'users: [{name: x, user: {}}]', 'contexts: [{name: x, context: {cluster: x, user: x}}]', ''].join('\n'));
    const base: Record<string, string | undefined> = { ...process.env, NODE_OPTIONS: '' };
    delete base.MALLOC_ARENA_MAX;
    const child = spawn(process.execPath, [...nodeOptions, '--import', 'tsx', 'cli/main.ts', 'dns', '--kubeconfig', kc, '--listen', '127.0.0.1:0', '--upstream', '127.0.0.1:9',
      '--metrics-listen', '127.0.0.1:0', '--health-listen', '127.0.0.1:0', '--ready-listen', '127.0.0.1:0', '--lameduck', '0s', '--workers', '1'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...base, ...env } });
    const exited = new Promise((r) => child.once('exit', r));
    try {
      return await new Promise((resolve, reject) => {
        const logs: Record<string, unknown>[] = [];
        readline.createInterface({ input: child.stderr! }).on('line', (l) => {
          try { logs.push(JSON.parse(l) as Record<string, unknown>); } catch { logs.push({ raw: l }); }
          if (logs.at(-1)!.message === 'serving') resolve(logs);
        });
        void exited.then(() => reject(new Error(`sextant dns exited before serving: ${JSON.stringify(logs)}`)));
      });
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('sextant dns warns DNS_LAUNCH_SETTINGS when started without the launch settings, not with them', async () => {
  const code = (logs: Record<string, unknown>[]) => logs.filter((e) => e.code === 'DNS_LAUNCH_SETTINGS');
  const without = code(await startupLogs([], {}));
  assert.equal(without.length, 1);
  assert.deepEqual(without[0]!.missing, missingLaunchSettings([], {}));
  assert.deepEqual(code(await startupLogs(DNS_NODE_OPTIONS, { ...DNS_ENV })), []);
});
