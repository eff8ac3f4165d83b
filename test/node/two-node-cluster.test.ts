/**
 * A real multi-node cluster built by `sextant cluster up` (namespaces only: underlay bridge,
 * control plane, nodes) running `sextant agent` on every node: a 4-replica Deployment spreads
 * over the workers, every pod reaches every other pod over TCP across the VXLAN overlay, the
 * overlay entries on each node match its peers exactly, restarting an agent changes nothing for
 * running pods, and deleting a Node removes its entries from the others.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { podNetnsName } from '../../node/names.js';

const execP = promisify(execFile);
const REPO = new URL('../../', import.meta.url).pathname;
const NAME = `sxn${randomBytes(2).toString('hex')}`;
const DIR = mkdtempSync(join(tmpdir(), 'sx-node-e2e-'));
const KUBECONFIG = join(DIR, 'state', NAME, 'kubeconfig');
const sextant = (...args: string[]) => execP(process.execPath, [join(REPO, 'dist/sextant.mjs'), ...args, '--state-dir', join(DIR, 'state')], { maxBuffer: 16 << 20 });
const kubectl = async (...args: string[]) => (await execP('kubectl', args, { env: { ...process.env, KUBECONFIG } })).stdout;
const nsExec = async (ns: string, ...argv: string[]) => (await execP('ip', ['netns', 'exec', ns, ...argv], { timeout: 10_000 })).stdout;

const SERVER = "require('net').createServer((s)=>s.end(process.env.POD_NAME+'\\n')).listen(8080)";
const CLIENT = "const s=require('net').connect(8080,process.argv[1]);let d='';s.setTimeout(3000,()=>{console.log('TIMEOUT');process.exit(1)});s.on('data',(b)=>d+=b);s.on('end',()=>console.log(d.trim()));s.on('error',(e)=>{console.log(e.code);process.exit(1)})";

interface PodInfo { name: string; uid: string; ip: string; node: string }

async function pods(): Promise<PodInfo[]> {
  const list = JSON.parse(await kubectl('get', 'pods', '-l', 'app=web', '-o', 'json')) as { items: { metadata: { name: string; uid: string }; spec: { nodeName?: string }; status?: { podIP?: string; conditions?: { type: string; status: string }[] } }[] };
  return list.items
    .filter((p) => p.status?.podIP && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
    .map((p) => ({ name: p.metadata.name, uid: p.metadata.uid, ip: p.status!.podIP!, node: p.spec.nodeName ?? '' }));
}

async function waitFor<T>(what: string, f: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const until = Date.now() + ms;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

async function nodeNetns(): Promise<Record<string, string>> {
  const st = JSON.parse(readFileSync(join(DIR, 'state', NAME, 'state.json'), 'utf8')) as { layout: { hosts: { nodeName?: string; netns: string }[] } };
  return Object.fromEntries(st.layout.hosts.filter((h) => h.nodeName).map((h) => [h.nodeName!, h.netns]));
}

async function reachAll(ps: PodInfo[]): Promise<string[]> {
  const failures: string[] = [];
  for (const a of ps)
    for (const b of ps) {
      if (a === b) continue;
      const out = await nsExec(podNetnsName(a.uid), process.execPath, '-e', CLIENT, b.ip).catch((e: { stdout?: string }) => e.stdout ?? 'ERR');
      if (out.trim() !== b.name) failures.push(`${a.name}(${a.node}) → ${b.name}(${b.node}) ${b.ip}: ${out.trim()}`);
    }
  return failures;
}

async function vxlanNeighbours(ns: string): Promise<string[]> {
  const j = JSON.parse(await nsExec(ns, 'ip', '-j', 'neigh', 'show', 'dev', 'sx-vxlan.1')) as { dst: string; lladdr?: string }[];
  return j.filter((n) => n.lladdr).map((n) => n.dst).sort();
}

describe('two workers joined by the VXLAN overlay (sextant cluster up + sextant agent)', { timeout: 300_000 }, () => {
  before(async () => {
    if (process.getuid?.() !== 0) throw new Error('test/node needs root (network namespaces)');
    execFileSync(process.execPath, ['tools/build.mjs'], { cwd: REPO, stdio: 'inherit' });
    // --retain: a failing later step (cluster DNS) must not tear down the nodes this test needs
    const up = await sextant('cluster', 'up', '--name', NAME, '--nodes', '3', '--data-dir', join(DIR, 'data'), '--subnet', '172.29.99.0/24', '--dns-replicas', '1', '--timeout', '40s', '--retain').catch((e: { stdout: string; stderr: string }) => e);
    assert.match(up.stdout, /✓ nodes Ready/, `cluster up did not get the nodes Ready:\n${up.stdout}\n${up.stderr}`);
  });
  after(async () => {
    await sextant('cluster', 'down', '--name', NAME).catch(() => undefined);
    rmSync(DIR, { recursive: true, force: true });
  });

  it('spreads 4 pods over both workers, all reach each other, entries match peers, agent restart and node deletion behave', async () => {
    const manifest = {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' },
      spec: {
        replicas: 4, selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'sextant/node-server', command: [process.execPath, '-e', SERVER], env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }], readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 } }] },
        },
      },
    };
    const child = execFile('kubectl', ['apply', '-f', '-'], { env: { ...process.env, KUBECONFIG } });
    child.stdin?.end(JSON.stringify(manifest));
    await new Promise((r) => child.on('exit', r));
    const ready = await waitFor('4 ready web pods', async () => {
      const ps = await pods();
      return ps.length === 4 ? ps : undefined;
    });
    const nodesUsed = new Set(ready.map((p) => p.node));
    assert.ok(nodesUsed.size >= 2, `pods spread over ${[...nodesUsed].join(',')}`);
    assert.deepEqual(await reachAll(ready), [], 'every pod reaches every other pod by IP');

    const netns = await nodeNetns();
    const nodes = JSON.parse(await kubectl('get', 'nodes', '-o', 'json')) as { items: { metadata: { name: string }; spec: { podCIDR?: string } }[] };
    for (const [node, ns] of Object.entries(netns)) {
      const want = nodes.items.filter((n) => n.metadata.name !== node && n.spec.podCIDR).map((n) => n.spec.podCIDR!.replace(/\/\d+$/, '')).sort();
      assert.deepEqual(await vxlanNeighbours(ns), want, `overlay neighbours on ${node}`);
    }

    const worker = ready[0]!.node;
    await sextant('cluster', 'restart', '--name', NAME, `agent/${worker}`);
    await new Promise((r) => setTimeout(r, 3000));
    const afterRestart = await pods();
    assert.deepEqual(afterRestart.map((p) => `${p.name} ${p.ip}`).sort(), ready.map((p) => `${p.name} ${p.ip}`).sort(), 'same pods and IPs after the agent restart');
    const restarts = JSON.parse(await kubectl('get', 'pods', '-l', 'app=web', '-o', 'json')) as { items: { status: { containerStatuses?: { restartCount: number }[] } }[] };
    assert.ok(restarts.items.every((p) => (p.status.containerStatuses?.[0]?.restartCount ?? 0) === 0), 'no container was restarted');
    assert.deepEqual(await reachAll(afterRestart), [], 'traffic still flows after the agent restart');

    const victim = Object.keys(netns).find((n) => n !== worker && !/control-plane/.test(n))!;
    const victimCidr = nodes.items.find((n) => n.metadata.name === victim)!.spec.podCIDR!.replace(/\/\d+$/, '');
    await kubectl('delete', 'node', victim, '--wait=false');
    await waitFor(`${victim}'s entries gone from ${worker}`, async () => ((await vxlanNeighbours(netns[worker]!)).includes(victimCidr) ? undefined : true), 20_000);
  });
});
