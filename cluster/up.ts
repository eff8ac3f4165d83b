/**
 * `sextant cluster up`: builds the hosts from namespaces, starts the control plane, the loopback
 * forwarder and a node agent per node, waits for every node to be Ready, deploys cluster DNS and
 * waits until it answers. Each step prints one line; a failure prints the step and the reason,
 * then removes everything made so far (unless `--retain`). The state file is written after every
 * change, so `cluster down` can clean up even after this process was killed.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { isApiError, KINDS, type ApiClient, type EndpointSlice, type Node } from '../controller/api/index.js';
import { kubeconfigFromDataDir } from '../controller/auth/setup.js';
import { ROLE_IDENTITIES } from '../controller/auth/credentials.js';
import { runTool } from '../kernel/exec-tool.js';
import { clusterClient, socketGet } from './api.js';
import { agentArgv, forwarderArgv, installNodeCni, nodeDirs, nodeKubeconfigPath, serverArgv } from './daemons.js';
import { clusterDown } from './down.js';
import { ClusterError } from './errors.js';
import { freeLoopbackPort } from './forwarder.js';
import { clusterPaths, planLayout, STATE_ROOT, type ClusterLayout, type HostLayout } from './layout.js';
import { CONTROL_PLANE_TAINT, dnsDeployment, dnsService } from './manifests.js';
import { netnsExists } from './netns.js';
import { isRunning, startProcess } from './processes.js';
import { findSextantBinary, type SextantBinary } from './sextant-binary.js';
import { newState, stateFilePath, writeState, type ClusterState, type ProcessRecord } from './state.js';
import { buildHost, buildUnderlay } from './topology.js';

export interface UpOptions {
  name: string;
  nodes: number;
  subnet?: string;
  kubeconfig?: string;
  dataRoot?: string;
  stateRoot?: string;
  dnsReplicas: number;
  /** Keep what was made when a step fails (for debugging). */
  retain: boolean;
  /** Per-step time limit. */
  timeoutMs: number;
  out: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

/** Polls `probe` until it returns a value; the last problem it reported goes into the timeout error. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | { problem: string }>, check?: () => void): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  for (;;) {
    check?.();
    const r = await probe().catch((err: unknown) => ({ problem: err instanceof Error ? err.message : String(err) }));
    if (!(r && typeof r === 'object' && 'problem' in r)) return r as T;
    last = r.problem;
    if (Date.now() > deadline) throw new ClusterError('CLUSTER_TIMEOUT', `${what} not done after ${secs(timeoutMs)}: ${last}`);
    await sleep(200);
  }
}

/** Last lines of a daemon's log, for failure messages. */
function logTail(path: string, lines = 8): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).map((l) => `      ${l.slice(0, 300)}`).join('\n');
  } catch {
    return '';
  }
}

function writeFileRecorded(state: ClusterState, path: string, text: string, outsideDirs: boolean): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text, { mode: 0o600 });
  if (outsideDirs && !state.files.includes(path)) state.files.push(path);
}

const isReady = (n: Node) => (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

class Up {
  readonly layout: ClusterLayout;
  readonly paths: ReturnType<typeof clusterPaths>;
  readonly state: ClusterState;
  readonly stateFile: string;
  readonly bin: SextantBinary;
  client: ApiClient | undefined;
  interrupted = false;
  /** CNI installs run while the server starts; `nodes()` awaits them. */
  private cniInstalled: Promise<void> | undefined;

  constructor(readonly o: UpOptions) {
    this.layout = planLayout({ name: o.name, nodes: o.nodes, ...(o.subnet ? { subnet: o.subnet } : {}), ...(o.stateRoot ? { stateRoot: o.stateRoot } : {}), ...(o.dataRoot ? { dataRoot: o.dataRoot } : {}) });
    this.paths = clusterPaths(this.layout);
    this.bin = findSextantBinary();
    this.state = newState(this.layout, { node: this.bin.node, script: this.bin.script });
    this.stateFile = stateFilePath(o.stateRoot ?? STATE_ROOT, o.name);
  }

  save = () => writeState(this.stateFile, this.state);

  /** Waits for work still running in the background (CNI installs), so cleanup comes after it. */
  async settle(): Promise<void> {
    await this.cniInstalled?.catch(() => undefined);
  }

  check = () => {
    if (this.interrupted) throw new ClusterError('CLUSTER_PROCESS_FAILED', 'interrupted');
    for (const p of this.state.processes) if (!isRunning(p)) throw new ClusterError('CLUSTER_PROCESS_FAILED', `${p.id} exited (log ${p.log}):\n${logTail(p.log)}`);
  };

  preflight(): void {
    if (process.getuid?.() !== 0) throw new ClusterError('CLUSTER_NOT_ROOT', 'network namespaces need root: run as root (sudo)');
    if (existsSync(this.stateFile)) throw new ClusterError('CLUSTER_EXISTS', `cluster "${this.o.name}" exists (${this.stateFile}); \`sextant cluster down --name ${this.o.name}\` first`);
    const taken = [this.layout.underlayNetns, ...this.layout.hosts.map((h) => h.netns)].filter(netnsExists);
    if (taken.length > 0) throw new ClusterError('CLUSTER_EXISTS', `namespaces ${taken.join(', ')} exist without a state file; remove them with \`ip netns del\``);
    if (this.o.kubeconfig && existsSync(this.o.kubeconfig)) throw new ClusterError('CLUSTER_KUBECONFIG_EXISTS', `--kubeconfig ${this.o.kubeconfig} exists; choose a new path (the cluster removes the file on \`down\`)`);
  }

  start(id: string, host: HostLayout | undefined, argv: string[]): ProcessRecord {
    const rec = startProcess({ id, host: host?.id ?? 'root', ...(host ? { netns: host.netns } : {}), argv, log: `${this.paths.logs}/${id.replace('/', '-')}.log`, env: { SEXTANT_CLUSTER: this.layout.name } });
    this.state.processes.push(rec);
    this.save();
    return rec;
  }

  async hosts(): Promise<string> {
    mkdirSync(this.layout.stateDir, { recursive: true, mode: 0o700 });
    this.state.dirs.push(this.layout.stateDir);
    this.save();
    mkdirSync(this.layout.dataDir, { recursive: true, mode: 0o700 });
    this.state.dirs.push(this.layout.dataDir);
    this.save();
    const record = (ns: string) => {
      this.state.namespaces.push(ns);
      this.save();
    };
    await buildUnderlay(this.layout, record);
    for (const h of this.layout.hosts) await buildHost(this.layout, h, record);
    return `underlay ${this.layout.subnet}: ` + this.layout.hosts.map((h) => `${h.nodeName ?? 'outside'} ${h.ip}`).join(', ');
  }

  async controlPlane(): Promise<string> {
    const cp = this.layout.hosts.find((h) => h.role === 'control-plane')!;
    const server = this.start('server', cp, serverArgv(this.layout, this.bin));
    const installs = Promise.all(this.layout.hosts.filter((h) => h.nodeName).map((h) => installNodeCni(this.layout, h, this.bin))).then(() => undefined);
    installs.catch(() => {});
    this.cniInstalled = installs;
    const nodeNames = this.layout.hosts.filter((h) => h.nodeName).map((h) => h.nodeName!);
    await waitFor('API server /readyz on its unix socket, node credentials written', this.o.timeoutMs, async () => {
      const r = await socketGet(this.paths.apiSocket, '/readyz');
      if (r.code !== 200) return { problem: r.code ? `HTTP ${r.code} ${r.body.slice(0, 200)}` : 'not listening yet' };
      const missing = nodeNames.filter((n) => !existsSync(nodeKubeconfigPath(this.layout, n)));
      return missing.length === 0 ? true : { problem: `no credential yet for ${missing.join(', ')}` };
    }, this.check);
    const serverData = this.paths.serverData;
    // Pods reach the API through the `kubernetes` service (the serving certificate names 10.96.0.1).
    writeFileRecorded(this.state, this.paths.podKubeconfig, kubeconfigFromDataDir(serverData, 'https://10.96.0.1:443', ROLE_IDENTITIES.dns), false);
    const port = await freeLoopbackPort();
    this.state.apiPort = port;
    this.start('forwarder', undefined, forwarderArgv(this.layout, this.bin, port));
    const kubeconfig = this.o.kubeconfig ?? this.paths.kubeconfig;
    writeFileRecorded(this.state, kubeconfig, kubeconfigFromDataDir(serverData, `https://127.0.0.1:${port}`, ROLE_IDENTITIES.admin), !!this.o.kubeconfig);
    this.state.kubeconfig = kubeconfig;
    this.save();
    this.client = clusterClient(this.state);
    await waitFor('API through the loopback forwarder', this.o.timeoutMs, async () => {
      await this.client!.request('GET', '/readyz');
      return true;
    }, this.check);
    await this.createDns();
    return `sextant server (pid ${server.pid}) on https://${cp.ip}:${this.layout.apiServerPort}; kubectl reaches it at https://127.0.0.1:${port}`;
  }

  async nodes(): Promise<string> {
    const nodeHosts = this.layout.hosts.filter((h) => h.nodeName);
    await this.cniInstalled;
    for (const h of nodeHosts) {
      mkdirSync(nodeDirs(this.layout, h).data, { recursive: true });
      this.start(`agent/${h.nodeName}`, h, agentArgv(this.layout, h, this.bin));
    }
    const nodes = await waitFor(`${nodeHosts.length} nodes Ready`, this.o.timeoutMs, async () => {
      const list = await this.client!.list<Node>(KINDS.Node);
      const missing = nodeHosts.filter((h) => !list.items.some((n) => n.metadata.name === h.nodeName && isReady(n) && n.spec?.podCIDR));
      return missing.length === 0 ? list.items : { problem: `waiting for ${missing.map((h) => h.nodeName).join(', ')} (registered, Ready and with a pod CIDR)` };
    }, this.check);
    if (nodeHosts.length > 1) await this.taintControlPlane(nodeHosts[0]!.nodeName!);
    return nodes
      .filter((n) => nodeHosts.some((h) => h.nodeName === n.metadata.name))
      .map((n) => `${n.metadata.name} ${n.spec?.podCIDR}`)
      .join(', ');
  }

  /** As kubeadm: the control-plane node is labelled and tainted NoSchedule. */
  async taintControlPlane(name: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const n = await this.client!.get<Node>(KINDS.Node, undefined, name);
      n.metadata.labels = { ...n.metadata.labels, 'node-role.kubernetes.io/control-plane': '' };
      const taints = (n.spec?.taints ?? []).filter((t) => t.key !== CONTROL_PLANE_TAINT.key);
      n.spec = { ...n.spec, taints: [...taints, { ...CONTROL_PLANE_TAINT }] };
      try {
        await this.client!.update(KINDS.Node, n);
        return;
      } catch (err) {
        if (!isApiError(err, 'Conflict') || attempt > 10) throw err;
      }
    }
  }

  /** Created as soon as the API answers, so the DNS pods start while the nodes come up. */
  async createDns(): Promise<void> {
    const c = this.client!;
    await c.create(KINDS.Service, dnsService({ clusterIP: this.layout.dnsServiceIP }));
    await c.create(KINDS.Deployment, dnsDeployment({ sextant: [this.bin.node, this.bin.script], podKubeconfig: this.paths.podKubeconfig, clusterIP: this.layout.dnsServiceIP, replicas: this.o.dnsReplicas }));
  }

  async dns(): Promise<string> {
    const c = this.client!;
    await waitFor('cluster DNS endpoints ready', this.o.timeoutMs, async () => {
      const slices = await c.list<EndpointSlice>(KINDS.EndpointSlice, { namespace: 'kube-system', labelSelector: 'kubernetes.io/service-name=kube-dns' });
      const ready = slices.items.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready !== false);
      return ready.length >= this.o.dnsReplicas ? true : { problem: `${ready.length}/${this.o.dnsReplicas} DNS pods ready` };
    }, this.check);
    const probeHost = this.layout.hosts.find((h) => h.role === 'worker') ?? this.layout.hosts[0]!;
    const answer = await waitFor(`DNS answers at ${this.layout.dnsServiceIP} (from ${probeHost.nodeName})`, this.o.timeoutMs, async () => {
      const r = await runTool('ip', ['netns', 'exec', probeHost.netns, 'dig', '+short', '+time=1', '+tries=1', `@${this.layout.dnsServiceIP}`, 'kubernetes.default.svc.cluster.local', 'A']).catch((err: Error) => ({ stdout: '', stderr: err.message }));
      const ipText = r.stdout.trim();
      return /^\d+\.\d+\.\d+\.\d+$/.test(ipText) ? ipText : { problem: ipText || r.stderr.trim() || 'no answer' };
    }, this.check);
    return `kube-system/coredns (${this.o.dnsReplicas} pod${this.o.dnsReplicas > 1 ? 's' : ''}) behind ${this.layout.dnsServiceIP}: kubernetes.default → ${answer}`;
  }
}

/** Runs every step; on failure prints it, cleans up (unless retained) and rethrows. */
export async function clusterUp(o: UpOptions): Promise<ClusterState> {
  const up = new Up(o);
  up.preflight();
  const onSignal = () => {
    up.interrupted = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const nodeCount = up.layout.hosts.filter((h) => h.nodeName).length;
  o.out(`Creating cluster "${o.name}" (${nodeCount} node${nodeCount > 1 ? 's' : ''}: 1 control plane${nodeCount > 1 ? ` + ${nodeCount - 1} worker${nodeCount > 2 ? 's' : ''}` : ''}) ...`);
  const t0 = Date.now();
  const steps: [string, () => Promise<string>][] = [
    ['hosts', () => up.hosts()],
    ['control plane', () => up.controlPlane()],
    ['nodes Ready', () => up.nodes()],
    ['cluster DNS', () => up.dns()],
  ];
  let current = '';
  try {
    for (const [title, run] of steps) {
      current = title;
      const t = Date.now();
      const detail = await run();
      up.check();
      o.out(` ✓ ${title.padEnd(14)} ${detail}  (${secs(Date.now() - t)})`);
    }
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    o.out(` ✗ ${current.padEnd(14)} ${msg}`);
    await up.settle();
    if (o.retain) o.out(`   kept for debugging: \`sextant cluster status --name ${o.name}\`, then \`sextant cluster down --name ${o.name}\``);
    else {
      o.out('   removing what was made ...');
      await clusterDown({ name: o.name, ...(o.stateRoot ? { stateRoot: o.stateRoot } : {}), out: () => {} }).catch((e: unknown) => o.out(`   cleanup failed: ${String(e)}`));
    }
    const shown = err instanceof ClusterError ? err : new ClusterError('CLUSTER_PROCESS_FAILED', `${current}: ${msg}`, { cause: err });
    shown.reported = true;
    throw shown;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    up.client?.close();
  }
  o.out(`Cluster "${o.name}" is up in ${secs(Date.now() - t0)}.`);
  return up.state;
}

/** What to do next, printed after a successful `cluster up`. */
export function nextSteps(s: ClusterState): string {
  const kc = s.kubeconfig!;
  const nameFlag = s.name === 'sx' ? '' : ` --name ${s.name}`;
  const worker = s.layout.hosts.find((h) => h.role === 'worker') ?? s.layout.hosts[0]!;
  return [
    '',
    'Next:',
    `  export KUBECONFIG=${kc}`,
    '  kubectl get nodes -o wide',
    '  kubectl apply -f examples/mysql/mysql-pod.yaml          # the canonical story, see examples/mysql/README.md',
    `  sextant cluster exec${nameFlag} outside -- nc -v ${worker.ip} <nodePort>`,
    `  sextant cluster status${nameFlag} --svg cluster.svg       # hosts, addresses, pods, the VXLAN mesh`,
    `  sextant cluster down${nameFlag}`,
  ].join('\n');
}
