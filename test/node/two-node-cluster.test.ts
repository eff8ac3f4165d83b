/**
 * Two workers (plus the tainted control plane) built by `sextant cluster up` — node namespaces on
 * an underlay bridge, `sextant agent` (node agent + overlay + proxy) on each: a 4-replica
 * Deployment spreads over both workers with no container restarting; every pod reaches every
 * other pod by IP over TCP across the VXLAN overlay, unmasqueraded, even with the FORWARD policy
 * DROP; container output reaches `kubectl logs` (`--tail`, `-f`); pods reach an outside host
 * masqueraded as their node; a DF packet of the pod MTU crosses and one
 * byte more is "message too long"; each node's neighbour, FDB and route entries equal exactly what
 * its peers' Node objects ask for; killing (SIGKILL) and restarting an agent — overlay included —
 * and a graceful restart change nothing for running pods (same PIDs, IPs, readiness, the VXLAN
 * device, and an open TCP connection keeps working); deleting a Node removes its entries.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { podNetnsName } from '../../node/names.js';
import { clusterState, expectedEntries, kernelEntries, kubectl, nodeNamespaces, nsRun, processesIn, processStartTime, waitFor, webPods, type Ctx, type PodInfo } from './cluster-helpers.js';

const execP = promisify(execFile);
const REPO = new URL('../../', import.meta.url).pathname;
const NAME = `sxn${randomBytes(2).toString('hex')}`;
const DIR = mkdtempSync(join(tmpdir(), 'sx-node-e2e-'));
const ctx: Ctx = { kubeconfig: join(DIR, 'state', NAME, 'kubeconfig'), stateFile: join(DIR, 'state', NAME, 'state.json') };
const DEV = 'sx-vxlan.1';
const sextant = (...args: string[]) => execP(process.execPath, [join(REPO, 'dist/sextant.mjs'), ...args, '--state-dir', join(DIR, 'state')], { maxBuffer: 16 << 20, timeout: 120_000 });

// The pod's server: its name on 8080 (readiness probe target), an echo on 8081. Socket errors
// are handled, as any real server's are: a client may reset a connection at any time.
const SERVER_MARK = 'sx-two-node-server';
// The name answer carries the caller's address as seen by the server, so masquerading shows.
const SERVER = `/*${SERVER_MARK}*/const net=require('net');const on=(s)=>s.on('error',()=>{});net.createServer((s)=>{on(s);s.end(process.env.POD_NAME+' '+s.remoteAddress.replace(/^::ffff:/,'')+'\\n')}).listen(8080);net.createServer((s)=>{on(s);console.log('echo for '+s.remoteAddress.replace(/^::ffff:/,''));s.pipe(s)}).listen(8081);console.log('listening on 8080 and 8081')`;
const CLIENT = "const s=require('net').connect(8080,process.argv[1]);let d='';s.setTimeout(5000,()=>{console.log('TIMEOUT');process.exit(1)});s.on('data',(b)=>d+=b);s.on('end',()=>console.log(d.trim()));s.on('error',(e)=>{console.log(e.code);process.exit(1)})";
const LONG_CLIENT = "const s=require('net').connect(8081,process.argv[1]);s.on('error',(e)=>{console.log('ERR '+e.code);process.exit(1)});process.stdin.pipe(s);s.pipe(process.stdout)";

let pods: PodInfo[] = [];
const needPods = () => assert.equal(pods.length, 4, 'the Deployment step did not produce 4 ready pods');

async function reachAll(ps: PodInfo[]): Promise<string[]> {
  const failures: string[] = [];
  for (const a of ps)
    for (const b of ps) {
      if (a === b) continue;
      const r = await nsRun(podNetnsName(a.uid), [process.execPath, '-e', CLIENT, b.ip]);
      // the answer names the server and the source it saw: the client pod's own IP (pod↔pod is never masqueraded)
      if (r.out.trim() !== `${b.name} ${a.ip}`) failures.push(`${a.name}(${a.node}) ${a.ip} → ${b.name}(${b.node}) ${b.ip}: ${r.out.trim()}`);
    }
  return failures;
}

/** The pods' container logs, for failure messages (through `kubectl logs`, i.e. the agents' log endpoints). */
async function podLogs(ps: PodInfo[]): Promise<string> {
  const parts = await Promise.all(ps.map(async (p) => `--- ${p.name} (${p.node}, restarts ${p.restarts}):\n${await kubectl(ctx, 'logs', p.name, '--tail', '20').catch((e: Error) => e.message)}`));
  return parts.join('\n');
}

async function allEntries(): Promise<Record<string, { want: unknown; have: unknown }>> {
  const nodes = (JSON.parse(await kubectl(ctx, 'get', 'nodes', '-o', 'json')) as { items: Parameters<typeof expectedEntries>[1] }).items;
  const out: Record<string, { want: unknown; have: unknown }> = {};
  for (const [node, ns] of Object.entries(nodeNamespaces(ctx))) out[node] = { want: expectedEntries(node, nodes, DEV), have: await kernelEntries(ns, DEV, '10.244.') };
  return out;
}

/** A TCP connection held open from a pod to another pod's echo port: send a line, expect it back. */
class HeldConnection {
  private child: ChildProcess;
  private buf = '';
  constructor(fromNetns: string, toIp: string) {
    this.child = spawn('ip', ['netns', 'exec', fromNetns, process.execPath, '-e', LONG_CLIENT, toIp], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child.stdout!.on('data', (b: Buffer) => (this.buf += b.toString()));
  }
  async roundTrip(word: string): Promise<void> {
    this.child.stdin!.write(`${word}\n`);
    await waitFor(`echo of "${word}" on the held connection`, async () => (this.buf.includes(`${word}\n`) ? true : this.buf.includes('ERR') ? Promise.reject(new Error(this.buf)) : undefined), 20_000);
  }
  close(): void {
    if (this.child.exitCode === null && this.child.pid) process.kill(this.child.pid, 'SIGKILL');
  }
}

describe('two workers joined by the VXLAN overlay (sextant cluster up + sextant agent)', { timeout: 600_000 }, () => {
  before(async () => {
    if (process.getuid?.() !== 0) throw new Error('test/node needs root (network namespaces)');
    execFileSync(process.execPath, ['tools/build.mjs'], { cwd: REPO, stdio: 'inherit' });
    const up = await sextant('cluster', 'up', '--name', NAME, '--nodes', '3', '--data-dir', join(DIR, 'data'), '--subnet', '172.29.99.0/24', '--dns-replicas', '1', '--timeout', '90s', '--retain').catch((e: { stdout: string; stderr: string }) => e);
    assert.match(up.stdout, /✓ nodes Ready/, `cluster up did not get the nodes Ready:\n${up.stdout}\n${up.stderr}`);
  });
  after(async () => {
    await sextant('cluster', 'down', '--name', NAME).catch(() => undefined);
    rmSync(DIR, { recursive: true, force: true });
  });

  it('a Deployment of 4 pods spreads over both workers, every container running without a restart', async () => {
    const manifest = {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' },
      spec: {
        replicas: 4, selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'sextant/node-server', command: [process.execPath, '-e', SERVER], env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }], readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1, timeoutSeconds: 5, failureThreshold: 5 } }] },
        },
      },
    };
    const child = execFile('kubectl', ['apply', '-f', '-'], { env: { ...process.env, KUBECONFIG: ctx.kubeconfig } });
    child.stdin?.end(JSON.stringify(manifest));
    assert.equal(await new Promise((r) => child.on('exit', r)), 0, 'kubectl apply');
    pods = await waitFor('4 ready web pods with IPs', async () => {
      const ps = await webPods(ctx);
      return ps.length === 4 && ps.every((p) => p.ready && p.ip) ? ps : undefined;
    });
    const workers = clusterState(ctx).layout.hosts.filter((h) => h.nodeName && h.role !== 'control-plane').map((h) => h.nodeName!);
    assert.deepEqual([...new Set(pods.map((p) => p.node))].sort(), workers.sort(), 'pods on both workers (the control plane is tainted)');
    // Probes hit the servers every second: a server that dies of them (a reset it does not handle)
    // shows up here as a restart, long before peers see ECONNREFUSED.
    await new Promise((r) => setTimeout(r, 3000));
    const now = await webPods(ctx);
    assert.ok(now.every((p) => p.restarts === 0 && p.ready), `containers restarted or became unready:\n${await podLogs(now)}`);
  });

  it('each worker registered its Node (InternalIP, capacity, Ready, kubelet-like nodeInfo) and renews its Lease in kube-node-lease', async () => {
    type N = { metadata: { name: string; uid: string }; status?: { addresses?: { type: string; address: string }[]; capacity?: Record<string, string>; conditions?: { type: string; status: string }[]; nodeInfo?: { kubeletVersion?: string; operatingSystem?: string; architecture?: string } } };
    type L = { metadata: { ownerReferences?: { kind: string; uid: string }[] }; spec: { holderIdentity: string; leaseDurationSeconds: number; renewTime: string } };
    const hosts = clusterState(ctx).layout.hosts as { role: string; netns: string; ip: string; nodeName?: string }[];
    const renewals: Promise<unknown>[] = [];
    for (const h of hosts.filter((x) => x.nodeName)) {
      const n = JSON.parse(await kubectl(ctx, 'get', 'node', h.nodeName!, '-o', 'json')) as N;
      assert.deepEqual(n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address, h.ip, `${h.nodeName}: InternalIP`);
      assert.match(n.status?.capacity?.pods ?? '', /^\d+$/);
      assert.match(n.status?.capacity?.cpu ?? '', /^\d+$/);
      assert.equal(n.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
      assert.match(n.status?.nodeInfo?.kubeletVersion ?? '', /^v1\.\d+\.\d+/);
      assert.equal(n.status?.nodeInfo?.operatingSystem, 'linux');
      const lease = async () => JSON.parse(await kubectl(ctx, 'get', 'lease', '-n', 'kube-node-lease', h.nodeName!, '-o', 'json')) as L;
      const first = await lease();
      assert.equal(first.spec.holderIdentity, h.nodeName);
      assert.ok(first.metadata.ownerReferences?.some((o) => o.kind === 'Node' && o.uid === n.metadata.uid), 'the Lease is owned by its Node');
      renewals.push(waitFor(`${h.nodeName}: its Lease renewed (renewTime moves)`, async () => ((await lease()).spec.renewTime !== first.spec.renewTime ? true : undefined), 40_000));
    }
    await Promise.all(renewals);
  });

  it('every pod reaches every other pod by IP over TCP, across nodes, unmasqueraded, with the FORWARD policy DROP', async () => {
    needPods();
    // as Docker leaves hosts (flannel #609): the overlay's own FORWARD rules must carry the pod network
    for (const ns of Object.values(nodeNamespaces(ctx))) assert.equal((await nsRun(ns, ['iptables', '-P', 'FORWARD', 'DROP'])).code, 0);
    const failures = await reachAll(pods);
    assert.deepEqual(failures, [], `unreachable pairs; container logs:\n${await podLogs(await webPods(ctx))}`);
  });

  it('container output reaches kubectl logs, --tail and -f, through the agent', async () => {
    needPods();
    const [p, peer] = [pods[0]!, pods.find((x) => x.node !== pods[0]!.node)!];
    assert.match(await kubectl(ctx, 'logs', p.name), /^listening on 8080 and 8081$/m);
    const follow = spawn('kubectl', ['logs', '-f', '--tail', '1', p.name], { env: { ...process.env, KUBECONFIG: ctx.kubeconfig }, stdio: ['ignore', 'pipe', 'pipe'] });
    let streamed = '';
    follow.stdout.on('data', (b: Buffer) => (streamed += b.toString()));
    try {
      await waitFor('the last line from kubectl logs -f --tail 1', async () => (streamed.trim() ? true : undefined), 30_000);
      const held = new HeldConnection(podNetnsName(peer.uid), p.ip);
      try {
        await held.roundTrip('hello');
      } finally {
        held.close();
      }
      await waitFor('the new line streamed by kubectl logs -f', async () => (streamed.includes(`echo for ${peer.ip}`) ? true : undefined), 30_000);
      assert.deepEqual(streamed.split('\n').filter(Boolean), ['listening on 8080 and 8081', `echo for ${peer.ip}`], '-f --tail 1: the last line, then what is written afterwards');
    } finally {
      if (follow.pid && follow.exitCode === null) process.kill(follow.pid, 'SIGKILL');
    }
    const tail = (await kubectl(ctx, 'logs', '--tail', '1', p.name)).split('\n').filter(Boolean);
    assert.deepEqual(tail, [`echo for ${peer.ip}`], '--tail 1 is the last line only');
  });

  it('pods reach a host outside the cluster network masqueraded as their node', async () => {
    needPods();
    const hosts = clusterState(ctx).layout.hosts as { role: string; netns: string; ip: string; nodeName?: string }[];
    const outside = hosts.find((h) => h.role === 'outside')!;
    const nodeIp = Object.fromEntries(hosts.filter((h) => h.nodeName).map((h) => [h.nodeName!, h.ip]));
    const server = spawn('ip', ['netns', 'exec', outside.netns, process.execPath, '-e', SERVER.replace(SERVER_MARK, 'sx-two-node-outside')], { stdio: 'ignore', env: { ...process.env, POD_NAME: 'outside' } });
    try {
      for (const p of pods)
        await waitFor(`${p.name} → outside ${outside.ip}`, async () => {
          const r = await nsRun(podNetnsName(p.uid), [process.execPath, '-e', CLIENT, outside.ip]);
          if (r.out.trim() === `outside ${nodeIp[p.node]}`) return true;
          if (/^outside /.test(r.out.trim())) assert.fail(`${p.name} on ${p.node} was seen as ${r.out.trim().slice(8)}, not as its node ${nodeIp[p.node]}`);
          return undefined;
        }, 20_000);
    } finally {
      if (server.pid && server.exitCode === null) process.kill(server.pid, 'SIGKILL');
    }
  });

  it('a DF packet of the pod MTU crosses the overlay, one byte more is "message too long"', async () => {
    needPods();
    const a = pods[0]!;
    const b = pods.find((p) => p.node !== a.node)!;
    const nsA = podNetnsName(a.uid);
    const link = JSON.parse((await nsRun(nsA, ['ip', '-j', 'link', 'show', 'eth0'])).out) as { mtu: number }[];
    const mtu = link[0]!.mtu;
    const under = JSON.parse((await nsRun(nodeNamespaces(ctx)[a.node]!, ['ip', '-j', '-d', 'link', 'show', DEV])).out) as { mtu: number; linkinfo: { info_data: { id: number; port: number; learning: boolean } } }[];
    assert.equal(mtu, under[0]!.mtu, 'pod MTU equals the VXLAN device MTU');
    assert.equal(mtu, 1500 - 50, 'pod MTU = underlay MTU (1500 on the cluster veths) − 50');
    assert.deepEqual([under[0]!.linkinfo.info_data.id, under[0]!.linkinfo.info_data.port, under[0]!.linkinfo.info_data.learning], [1, 8472, false], 'VNI 1, UDP 8472, learning off');
    const payload = mtu - 28; // IPv4 header 20 + ICMP header 8
    const fits = await nsRun(nsA, ['ping', '-n', '-c', '3', '-i', '0.2', '-W', '5', '-M', 'do', '-s', String(payload), b.ip], 30_000);
    assert.equal(fits.code, 0, `DF ping of ${mtu} bytes from ${a.name} (${a.node}) to ${b.name} (${b.node}) failed:\n${fits.out}`);
    assert.match(fits.out, new RegExp(`${payload + 8} bytes from ${b.ip.replace(/\./g, '\\.')}`));
    const over = await nsRun(nsA, ['ping', '-n', '-c', '1', '-W', '2', '-M', 'do', '-s', String(payload + 1), b.ip], 30_000);
    assert.notEqual(over.code, 0, `a DF packet of ${mtu + 1} bytes must not be sent:\n${over.out}`);
    assert.match(over.out, /message too long/i);
  });

  it("overlay entries on every node equal exactly what its peers' Node objects ask for", async () => {
    const entries = await waitFor('overlay entries equal to the peer set on every node', async () => {
      const e = await allEntries();
      return Object.values(e).every((x) => JSON.stringify(x.want) === JSON.stringify(x.have)) ? e : undefined;
    }, 30_000).catch(async (err: Error) => assert.fail(`${err.message}\n${JSON.stringify(await allEntries(), null, 1)}`));
    for (const [node, { have }] of Object.entries(entries)) assert.equal((have as { neighbours: string[] }).neighbours.length, 2, `${node} has both other nodes as peers`);
  });

  for (const mode of ['SIGKILL, then start', 'graceful restart (SIGTERM)'] as const)
    it(`${mode} of a worker's agent (node agent + overlay) changes nothing for running pods`, async () => {
      needPods();
      const worker = pods[0]!.node;
      const local = pods.filter((p) => p.node === worker);
      const remote = pods.find((p) => p.node !== worker)!;
      const pids = () => local.map((p) => [...processesIn(podNetnsName(p.uid), SERVER_MARK)].map(([pid, t]) => `${p.name} ${pid}@${t}`)).flat().sort();
      const pidsBefore = pids();
      assert.equal(pidsBefore.length, local.length, 'one server process per local pod');
      const ns = nodeNamespaces(ctx)[worker]!;
      const devBefore = (await nsRun(ns, ['ip', '-j', 'link', 'show', DEV])).out;
      const entriesBefore = await allEntries();
      const readySinceBefore = (await webPods(ctx)).map((p) => `${p.name} ${p.readySince}`).sort();
      const held = [new HeldConnection(podNetnsName(remote.uid), local[0]!.ip), new HeldConnection(podNetnsName(local[0]!.uid), remote.ip)];
      try {
        for (const h of held) await h.roundTrip('before');
        const id = `agent/${worker}`;
        const agent = clusterState(ctx).processes.find((p) => p.id === id)!;
        if (mode === 'SIGKILL, then start') {
          process.kill(agent.pid, 'SIGKILL');
          await waitFor('the killed agent to be gone', async () => (processStartTime(agent.pid) === agent.startTime ? undefined : true), 20_000);
          for (const h of held) await h.roundTrip('agent-down');
        }
        await sextant('cluster', 'restart', '--name', NAME, id);
        const restarted = clusterState(ctx).processes.find((p) => p.id === id)!;
        assert.notEqual(restarted.pid, agent.pid);
        // the new agent is up when its readiness endpoint says so (node agent, overlay and proxy synced)
        await waitFor('the restarted agent /readyz', async () => ((await nsRun(ns, ['curl', '-sf', 'http://127.0.0.1:10248/readyz'], 5000)).code === 0 ? true : undefined), 90_000);
        const unready = new Set<string>();
        await waitFor('the restarted agent to have reported on its pods', async () => {
          const ps = await webPods(ctx);
          for (const p of ps) if (!p.ready) unready.add(p.name);
          return ps.length === 4 ? ps : undefined;
        }, 30_000);
        const now = await webPods(ctx);
        assert.deepEqual(now.map((p) => `${p.name} ${p.ip} ${p.node}`).sort(), pods.map((p) => `${p.name} ${p.ip} ${p.node}`).sort(), 'same pods and IPs');
        assert.deepEqual(now.filter((p) => p.restarts > 0).map((p) => p.name), [], `no container restarted; logs:\n${await podLogs(now)}`);
        assert.deepEqual([...unready], [], 'no pod left Ready during the restart');
        // an adopting agent that reported a pod unready even for an instant would have moved this
        await new Promise((r) => setTimeout(r, 1500)); // let the adopted pods' first probes and status writes happen
        assert.deepEqual((await webPods(ctx)).map((p) => `${p.name} ${p.readySince}`).sort(), readySinceBefore, 'Ready never flipped (lastTransitionTime unchanged)');
        assert.deepEqual(pids(), pidsBefore, 'the same container processes (PID and start time)');
        assert.equal((await nsRun(ns, ['ip', '-j', 'link', 'show', DEV])).out, devBefore, 'the VXLAN device was not recreated or changed');
        assert.deepEqual(await allEntries(), entriesBefore, 'overlay entries unchanged on every node');
        for (const h of held) await h.roundTrip('after');
        assert.deepEqual(await reachAll(now), [], 'every pod still reaches every other pod');
      } finally {
        for (const h of held) h.close();
      }
    });

  it('after an agent restart: an adopted container exiting 3 is reported with exit code 3 and restarted (OnFailure); a pod deleted while the agent was down is torn down', async () => {
    needPods();
    const worker = pods[0]!.node;
    const ns = nodeNamespaces(ctx)[worker]!;
    const trigger = join(DIR, 'exiter-trigger');
    const mark = `sx-exiter-${NAME}`;
    const podManifest = (name: string, command: string[]) => ({
      apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' },
      spec: { nodeName: worker, restartPolicy: 'OnFailure', terminationGracePeriodSeconds: 2, containers: [{ name: 'c', image: 'none', command }] },
    });
    const apply = async (m: unknown) => {
      const child = execFile('kubectl', ['apply', '-f', '-'], { env: { ...process.env, KUBECONFIG: ctx.kubeconfig } });
      child.stdin?.end(JSON.stringify(m));
      assert.equal(await new Promise((r) => child.on('exit', r)), 0, 'kubectl apply');
    };
    // waits for its trigger file, consumes it, exits 3
    await apply(podManifest('exiter', ['/bin/sh', '-c', `: ${mark}; while [ ! -e ${trigger} ]; do sleep 0.1; done; rm -f ${trigger}; exit 3`]));
    await apply(podManifest('doomed', ['/bin/sh', '-c', `: ${mark}-doomed; while :; do sleep 0.1; done`]));
    type P = { metadata: { uid: string }; status?: { phase?: string; containerStatuses?: { restartCount: number; state?: { running?: unknown }; lastState?: { terminated?: { exitCode: number } } }[] } };
    const get = async (name: string) => JSON.parse(await kubectl(ctx, 'get', 'pod', name, '-o', 'json')) as P;
    const running = async (name: string) => ((await get(name)).status?.containerStatuses?.[0]?.state?.running ? true : undefined);
    await waitFor('exiter running', () => running('exiter'));
    await waitFor('doomed running', () => running('doomed'));
    const doomedNs = podNetnsName((await get('doomed')).metadata.uid);
    const doomedPids = [...processesIn(doomedNs, `${mark}-doomed`)];
    assert.equal(doomedPids.length, 1, 'one doomed container process');

    const id = `agent/${worker}`;
    const agent = clusterState(ctx).processes.find((p) => p.id === id)!;
    process.kill(agent.pid, 'SIGKILL');
    await waitFor('the killed agent to be gone', async () => (processStartTime(agent.pid) === agent.startTime ? undefined : true), 20_000);
    // gone from the API while its agent is down (forced: nobody could confirm a graceful deletion)
    await kubectl(ctx, 'delete', 'pod', 'doomed', '--grace-period=0', '--force');
    await sextant('cluster', 'restart', '--name', NAME, id);
    await waitFor('the restarted agent /readyz', async () => ((await nsRun(ns, ['curl', '-sf', 'http://127.0.0.1:10248/readyz'], 5000)).code === 0 ? true : undefined), 90_000);
    await waitFor(`the vanished pod's namespace ${doomedNs} and process removed`, async () => (!existsSync(`/run/netns/${doomedNs}`) && doomedPids.every(([pid, t]) => processStartTime(pid) !== t) ? true : undefined), 30_000);

    const before = (await get('exiter')).status!.containerStatuses![0]!;
    assert.equal(before.restartCount, 0, 'adopted, not restarted');
    writeFileSync(trigger, '');
    const after = await waitFor('exiter restarted after exiting 3', async () => {
      const c = (await get('exiter')).status?.containerStatuses?.[0];
      return c && c.restartCount === 1 && c.state?.running ? c : undefined;
    }, 60_000);
    assert.equal(after.lastState?.terminated?.exitCode, 3, 'the exit code of a container this agent adopted');
    await kubectl(ctx, 'delete', 'pod', 'exiter', '--wait=false');
  });

  it("deleting a Node removes its neighbour, FDB and route entries from every other node", async () => {
    needPods();
    const victim = Object.keys(nodeNamespaces(ctx)).find((n) => n !== pods[0]!.node && !/control-plane/.test(n))!;
    const victimCidr = JSON.parse(await kubectl(ctx, 'get', 'node', victim, '-o', 'json')).spec.podCIDR as string;
    // the node goes away for good: its agent first (else it would register the Node again)
    const agent = clusterState(ctx).processes.find((p) => p.id === `agent/${victim}`)!;
    process.kill(agent.pid, 'SIGKILL');
    await kubectl(ctx, 'delete', 'node', victim, '--wait=false');
    const others = Object.entries(nodeNamespaces(ctx)).filter(([n]) => n !== victim);
    await waitFor(`${victim}'s entries (${victimCidr}) gone from ${others.map(([n]) => n).join(', ')}`, async () => {
      for (const [, ns] of others) {
        const e = await kernelEntries(ns, DEV, '10.244.');
        if (e.routes.some((r) => r.startsWith(victimCidr)) || e.neighbours.length !== 1 || e.fdb.length !== 1) return undefined;
      }
      return true;
    }, 30_000);
    const e = await allEntries();
    for (const [n] of others) assert.deepEqual(e[n]!.have, e[n]!.want, `${n}: entries equal the remaining peer set`);
  });
});
