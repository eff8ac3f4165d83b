import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KINDS, isApiError, type ApiClient, type Informer, type Node, type Pod, type Service } from '../controller/api/index.js';
import type { Logger } from '../daemon/logger.js';
import { runTool } from '../kernel/exec-tool.js';
import { CniRuntime, loadConfList } from './cni-runtime.js';
import { execTargetOf, execUpgradeHandler, type ExecTarget } from './exec-server.js';
import { startLogServer } from './log-server.js';
import { registerNode, renewLease, updateNodeStatus, type NodeIdentity } from './node-registration.js';
import { PodStateStore, type PodRecord } from './pod-state.js';
import { PodWorker, type PodHost } from './pod-worker.js';
import { acquireServiceAccountPaths, type ServiceAccountPathsLease } from './service-account-host-paths.js';
import { ServiceAccountMounts } from './service-account-mount.js';
import { serviceEnv } from './service-env.js';

export interface NodeAgentOptions {
  nodeName: string;
  nodeIp: string;
  /** The node's network namespace name (CNI plugins run inside it); undefined: our own. */
  netns: string | undefined;
  cniBinDirs: string[];
  cniConfDir: string;
  cniCacheDir: string;
  podLogDir: string;
  stateDir: string;
  clusterDns: string[];
  clusterDomain: string;
  /** HTTPS endpoint (logs, exec; only for the API server) on the node address. */
  port: number;
  maxPods: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  leaseRenewMs: number;
  statusUpdateMs: number;
  /** The cluster CA the agent trusts, written as each pod's service-account `ca.crt`; its log endpoint serves only the API server's certificate of this CA. */
  serviceAccountCa?: string;
  /** The endpoint's serving certificate and key of the cluster CA (`--tls-cert-file`, `--tls-private-key-file`). */
  serving?: { cert: string; key: string };
}

export interface NodeAgentSources {
  /** Pods bound to this node (fieldSelector spec.nodeName=<node>). */
  pods: Informer<Pod>;
  services: Informer<Service>;
}

/**
 * The node agent: registers the Node, renews its Lease, serves container logs, and runs one
 * PodWorker per Pod bound to the node. At start it adopts the pods recorded in the state dir
 * (their processes keep running) and tears down recorded pods the API no longer has.
 */
export class NodeAgent {
  private readonly workers = new Map<string, PodWorker>();
  private readonly host: PodHost;
  private readonly store: PodStateStore;
  private readonly serviceAccounts: ServiceAccountMounts;
  private timers: NodeJS.Timeout[] = [];
  private node: Node | undefined;
  private logServer: { close(): Promise<void> } | undefined;
  private serviceAccountPaths: ServiceAccountPathsLease | undefined;
  /**
   * Extra network readiness of this process's own pod network (`sextant agent` sets it to the
   * overlay's): a reason it cannot take pods yet, or null. The CNI configuration is always checked.
   */
  networkGate: (() => string | null) | undefined;
  /** Set once the pods recorded by a previous agent have been adopted; pod events wait for it. */
  private adopted = false;
  ready = false;

  constructor(
    private readonly o: NodeAgentOptions,
    private readonly client: ApiClient,
    private readonly sources: NodeAgentSources,
    private readonly log: Logger,
  ) {
    this.store = new PodStateStore(o.stateDir);
    this.serviceAccounts = new ServiceAccountMounts(client, o.serviceAccountCa, log);
    const hostResolv = existsSync('/etc/resolv.conf') ? readFileSync('/etc/resolv.conf', 'utf8') : '';
    this.host = {
      cni: new CniRuntime({ binDirs: o.cniBinDirs, confDir: o.cniConfDir, cacheDir: o.cniCacheDir, ...(o.netns ? { nodeNetns: o.netns } : {}) }),
      store: this.store,
      log,
      networkReady: () => {
        try {
          loadConfList(o.cniConfDir);
        } catch (err) {
          return (err as Error).message;
        }
        return this.networkGate?.() ?? null;
      },
      netns: {
        add: async (name) => void (await runTool('ip', ['netns', 'add', name])),
        del: async (name) => {
          if (existsSync(`/run/netns/${name}`)) await runTool('ip', ['netns', 'del', name]);
        },
        exists: (name) => existsSync(`/run/netns/${name}`),
      },
      writePodFiles: (ns, files) => {
        const dir = `/etc/netns/${ns}`;
        mkdirSync(dir, { recursive: true });
        for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
      },
      removePodFiles: (ns) => rmSync(`/etc/netns/${ns}`, { recursive: true, force: true }),
      serviceAccounts: this.serviceAccounts,
      serviceEnv: (pod) => serviceEnv(sources.services.list(), pod.metadata.namespace ?? 'default', pod.spec.enableServiceLinks ?? true),
      patchStatus: async (pod, status) => {
        await client.patch(KINDS.Pod, pod.metadata.namespace, pod.metadata.name ?? '', { status }, 'merge', { subresource: 'status' });
      },
      confirmDelete: async (pod) => {
        try {
          await client.delete(KINDS.Pod, pod.metadata.namespace, pod.metadata.name ?? '', { gracePeriodSeconds: 0, ...(pod.metadata.uid ? { preconditions: { uid: pod.metadata.uid } } : {}) });
        } catch (err) {
          if (!isApiError(err, 'NotFound') && !isApiError(err, 'Conflict')) throw err;
        }
      },
      settings: {
        nodeName: o.nodeName,
        nodeIp: o.nodeIp,
        clusterDns: o.clusterDns,
        clusterDomain: o.clusterDomain,
        hostResolvConf: hostResolv,
        podLogDir: o.podLogDir,
        backoffInitialMs: o.backoffInitialMs,
        backoffMaxMs: o.backoffMaxMs,
      },
    };
  }

  private get identity(): NodeIdentity {
    return { nodeName: this.o.nodeName, nodeIp: this.o.nodeIp, port: this.o.port, maxPods: this.o.maxPods };
  }

  /** The running workers by pod UID (tests and the status page read it). */
  get pods(): ReadonlyMap<string, PodWorker> {
    return this.workers;
  }

  async start(): Promise<void> {
    const { o, client, log, sources } = this;
    this.serviceAccountPaths = await acquireServiceAccountPaths();
    const setup = this.serviceAccountPaths.setup;
    if (!setup.ok) log.warn('pods get their service-account token only at /etc/sextant-serviceaccount', { reason: setup.reason });
    if (o.serviceAccountCa) this.logServer = await startLogServer({ host: o.nodeIp, port: o.port }, (ns, name, container) => this.locateLog(ns, name, container), { ca: o.serviceAccountCa, ...(o.serving ? { serving: o.serving } : {}), upgrade: execUpgradeHandler((ns, name, container) => this.locateExec(ns, name, container), log) });
    else log.warn('the kubeconfig names no cluster CA: the log endpoint stays off (it serves only the API server, authenticated by a certificate of that CA)');
    this.node = await registerNode(client, this.identity, log);
    await renewLease(client, this.identity, this.node).catch((err: Error) => log.warn('lease renewal failed', { error: err.message }));
    this.timers.push(
      setInterval(() => void renewLease(client, this.identity, this.node).catch((err: Error) => log.warn('lease renewal failed', { error: err.message })), o.leaseRenewMs),
      setInterval(() => {
        updateNodeStatus(client, this.identity, this.node ?? ({ metadata: {} } as Node)).then(
          (n) => (this.node = n),
          (err: Error) => log.warn('node status update failed', { error: err.message }),
        );
      }, o.statusUpdateMs),
    );
    sources.pods.addHandlers({
      onAdd: (p) => this.onPod(p),
      onUpdate: (_a, p) => this.onPod(p),
      onDelete: (p) => this.onPodGone(p),
    });
    await sources.pods.synced();
    await sources.services.synced();
    this.adopt();
    this.adopted = true;
    for (const p of sources.pods.list()) this.onPod(p);
    this.ready = true;
    log.info('node agent ready', { node: o.nodeName, ip: o.nodeIp, pods: this.workers.size });
  }

  /** Adopts recorded pods still bound here; tears down the ones the API no longer has. */
  private adopt(): void {
    const { records, corrupt } = this.store.loadAll();
    for (const f of corrupt) {
      this.log.warn('removing an unreadable pod state file', { file: f });
      this.store.removeFile(f);
    }
    const byUid = new Map(this.sources.pods.list().map((p) => [p.metadata.uid ?? '', p]));
    for (const r of records) {
      if (this.workers.has(r.uid)) continue;
      const pod = byUid.get(r.uid);
      if (pod) {
        const w = new PodWorker(pod, this.host, r);
        this.workers.set(r.uid, w);
        if (pod.metadata.deletionTimestamp) w.update(pod);
        else void w.start();
      } else {
        this.log.info('cleaning up a pod that vanished while the agent was down', { pod: `${r.namespace}/${r.name}` });
        const w = new PodWorker(syntheticPod(r), this.host, r);
        void w.terminate(1, false);
      }
    }
  }

  private onPod(p: Pod): void {
    const uid = p.metadata.uid ?? '';
    // Until the recorded pods are adopted, events are left to the pass over the cache that follows
    // adoption: the informer replays its cache to handlers added after its first list, and a
    // worker made from such an event (without the pod's record) would start a second copy of a
    // container that is still running.
    if (!this.adopted || !uid || p.spec.nodeName !== this.o.nodeName) return;
    const w = this.workers.get(uid);
    if (w) {
      w.update(p);
      return;
    }
    const phase = p.status?.phase;
    if (p.metadata.deletionTimestamp) {
      // never started here (or its state is gone): nothing to stop, just finalise
      void this.host.confirmDelete(p).catch((err: Error) => this.log.warn('finalising the pod failed', { error: err.message }));
      return;
    }
    if (phase === 'Succeeded' || phase === 'Failed') return;
    const nw = new PodWorker(p, this.host);
    this.workers.set(uid, nw);
    void nw.start();
  }

  private onPodGone(p: Pod): void {
    if (!this.adopted) return;
    const uid = p.metadata.uid ?? '';
    const w = this.workers.get(uid);
    if (!w) return;
    void w.terminate(p.metadata.deletionGracePeriodSeconds ?? 1, false).then(() => this.workers.delete(uid));
  }

  private locateLog(namespace: string, name: string, container: string | undefined): { file: string } | { error: string; code: number } {
    for (const w of this.workers.values()) {
      const pod = this.sources.pods.get(namespace, name);
      if (!pod || pod.metadata.uid !== w.uid) continue;
      const names = pod.spec.containers.map((c) => c.name);
      const c = container ?? (names.length === 1 ? names[0] : undefined);
      if (!c) return { error: `a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`, code: 400 };
      if (!names.includes(c)) return { error: `container ${c} is not valid for pod ${name}`, code: 400 };
      return { file: w.logFile(c) };
    }
    return { error: `pod ${namespace}/${name} is not running on node ${this.o.nodeName}`, code: 404 };
  }

  private locateExec(namespace: string, name: string, container: string | undefined): ExecTarget | { error: string; code: number } {
    const pod = this.sources.pods.get(namespace, name);
    const w = pod ? this.workers.get(pod.metadata.uid ?? '') : undefined;
    if (!pod || !w) return { error: `pod ${namespace}/${name} is not running on node ${this.o.nodeName}`, code: 404 };
    return execTargetOf(pod, w, container, this.o, this.host.serviceEnv(pod));
  }

  /** Stops the agent but leaves pods running (a restarted agent adopts them). */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    for (const w of this.workers.values()) w.detach();
    this.serviceAccounts.stop();
    await this.logServer?.close();
    // the host paths stay while another agent or a pod (its token directory) still uses them
    await this.serviceAccountPaths?.release().catch((err: Error) => this.log.warn('releasing the service-account host paths failed', { error: err.message }));
  }
}

function syntheticPod(r: PodRecord): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: r.name, namespace: r.namespace, uid: r.uid },
    spec: { containers: Object.keys(r.containers).map((name) => ({ name })) },
  };
}
