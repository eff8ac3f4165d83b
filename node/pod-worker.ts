import type { Container, Pod } from '../controller/api/index.js';
import type { Logger } from '../daemon/logger.js';
import type { CniRuntime } from './cni-runtime.js';
import { containerArgv, containerEnv } from './container-env.js';
import { isAlive, readExitStatus, signalContainer, spawnContainer, waitGone, type ProcessHandle } from './container-process.js';
import { podLogDirName, podNetnsName, sandboxId } from './names.js';
import { setUpSandbox, tearDownSandbox } from './pod-sandbox.js';
import type { PodRecord, PodStateStore } from './pod-state.js';
import { buildPodStatus, type ContainerView, type PodView } from './pod-status.js';
import { startProbeLoops } from './probe-loop.js';
import { nextRestartDelay } from './restart-backoff.js';
import type { PodStatus } from '../controller/api/index.js';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Host facilities a pod worker uses, injected so the agent wires the real ones once. */
export interface PodHost {
  cni: Pick<CniRuntime, 'add' | 'del' | 'cached'>;
  store: Pick<PodStateStore, 'save' | 'remove' | 'exitStatusPath'>;
  /**
   * Why the pod network cannot take a new pod yet (no CNI configuration, the overlay has not set
   * the node up), or null when it can. A pod that still needs its CNI ADD waits for it, as the
   * kubelet holds pods while the runtime reports NetworkReady=false.
   */
  networkReady?(): string | null;
  log: Logger;
  netns: { add(name: string): Promise<void>; del(name: string): Promise<void>; exists(name: string): boolean };
  writePodFiles(netns: string, files: { 'resolv.conf': string; hosts: string }): void;
  removePodFiles(netns: string): void;
  /** Service-account token directories (node/service-account-mount.ts); absent: pods get no token. */
  serviceAccounts?: { ensure(pod: Pod, netns: string): Promise<void>; forget(netns: string): void };
  serviceEnv(pod: Pod): Record<string, string>;
  patchStatus(pod: Pod, status: PodStatus): Promise<void>;
  /** Finalises a gracefully deleted pod (DELETE with gracePeriodSeconds=0 and the UID precondition). */
  confirmDelete(pod: Pod): Promise<void>;
  settings: {
    nodeName: string;
    nodeIp: string;
    clusterDns: string[];
    clusterDomain: string;
    hostResolvConf: string;
    podLogDir: string;
    backoffInitialMs: number;
    backoffMaxMs: number;
  };
}

interface ContainerRun {
  spec: Container;
  handle: ProcessHandle | undefined;
  view: ContainerView;
  backoffMs: number;
  restartTimer: NodeJS.Timeout | undefined;
  stopProbes: (() => void) | undefined;
  pollTimer: NodeJS.Timeout | undefined;
  /** This agent sent the current run's process group SIGKILL (its recorder dies too: no exit file). */
  killed: boolean;
  /** Bumped each start, so a late exit/probe of an earlier run is ignored. */
  generation: number;
}

/** The kubelet's terminated reason for an exit status. */
const exitReason = (code: number) => (code === 0 ? 'Completed' : 'Error');

const nowIso = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * Runs one pod on this node, as the kubelet's pod worker does: the sandbox (network namespace,
 * CNI ADD, resolv.conf and hosts), one host process per container inside the namespace, restart
 * with exponential back-off by `restartPolicy`, readiness and liveness probes, the status
 * subresource, and graceful termination (SIGTERM, grace, SIGKILL, CNI DEL, namespace removal,
 * then the pod object is finalised). A worker built from a state record adopts running processes.
 */
export class PodWorker {
  readonly uid: string;
  readonly netns: string;
  private record: PodRecord;
  private runs = new Map<string, ContainerRun>();
  private sandboxError: string | undefined;
  private terminating: Promise<void> | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  /** Status writes run one at a time: two in flight can commit out of order (stale status wins). */
  private statusWrites: Promise<void> = Promise.resolve();
  private lastStatus = '';
  private waitedForNetwork = false;
  private closed = false;

  constructor(
    private pod: Pod,
    private readonly host: PodHost,
    adopted?: PodRecord,
  ) {
    this.uid = pod.metadata.uid ?? '';
    this.netns = podNetnsName(this.uid);
    this.record = adopted ?? {
      uid: this.uid,
      namespace: pod.metadata.namespace ?? 'default',
      name: pod.metadata.name ?? '',
      netns: this.netns,
      sandboxId: sandboxId(this.uid),
      startTime: nowIso(),
      containers: {},
    };
    for (const c of pod.spec.containers) {
      const prev = this.record.containers[c.name];
      this.runs.set(c.name, {
        spec: c,
        handle: prev?.pid !== undefined && prev.startTicks !== undefined ? { pid: prev.pid, startTicks: prev.startTicks } : undefined,
        view: { name: c.name, image: c.image ?? '', containerId: `${this.record.sandboxId.slice(0, 16)}-${c.name}`, restartCount: prev?.restartCount ?? 0, ready: false, started: false, state: { kind: 'waiting', reason: 'ContainerCreating' } },
        backoffMs: host.settings.backoffInitialMs,
        restartTimer: undefined,
        stopProbes: undefined,
        pollTimer: undefined,
        killed: false,
        generation: 0,
      });
    }
  }

  get podIp(): string | undefined {
    return this.record.podIp;
  }

  get log(): Logger {
    return this.host.log;
  }

  /** Per-container log file (one file per container, appended across restarts). */
  logFile(container: string): string {
    return join(this.host.settings.podLogDir, podLogDirName(this.record.namespace, this.record.name, this.uid), `${container}.log`);
  }

  /** Brings the pod up: sandbox, then containers (adopting live processes of a previous agent). */
  async start(): Promise<void> {
    const notReady = this.record.podIp === undefined ? this.host.networkReady?.() : null;
    try {
      if (notReady) throw new Error(`network not ready: ${notReady}`);
      await this.ensureSandbox();
      this.sandboxError = undefined;
    } catch (err) {
      this.sandboxError = (err as Error).message;
      if (!notReady) this.log.warn('pod sandbox failed', { pod: `${this.record.namespace}/${this.record.name}`, error: this.sandboxError });
      else if (!this.waitedForNetwork) this.log.info('pod waits for the pod network', { pod: `${this.record.namespace}/${this.record.name}`, reason: notReady });
      if (notReady) this.waitedForNetwork = true;
      for (const r of this.runs.values()) r.view.state = { kind: 'waiting', reason: 'ContainerCreating', message: this.sandboxError };
      this.scheduleStatus();
      setTimeout(() => {
        if (!this.closed && !this.terminating) void this.start();
      }, notReady ? 250 : 2000).unref();
      return;
    }
    for (const r of this.runs.values()) {
      if (r.handle && isAlive(r.handle)) this.adoptRunning(r);
      else if (r.handle) {
        r.handle = undefined;
        this.onUnparentedExit(r, r.generation);
      } else this.startContainer(r);
    }
    this.scheduleStatus();
  }

  private async ensureSandbox(): Promise<void> {
    this.host.store.save(this.record); // before the netns exists: `cluster down` and a restarted agent find it even if CNI ADD fails
    const took = await setUpSandbox(this.host, this.pod, this.record, this.netns);
    this.host.store.save(this.record);
    this.log.info('pod sandbox ready', { pod: `${this.record.namespace}/${this.record.name}`, ip: this.record.podIp, ...took });
  }

  private persist(): void {
    for (const [name, r] of this.runs)
      this.record.containers[name] = {
        ...(r.handle ? { pid: r.handle.pid, startTicks: r.handle.startTicks } : {}),
        ...(r.view.state.kind === 'running' ? { startedAt: r.view.state.startedAt } : {}),
        restartCount: r.view.restartCount,
        ready: r.view.ready,
      };
    this.host.store.save(this.record);
  }

  private startContainer(r: ContainerRun): void {
    if (this.closed || this.terminating) return;
    const s = this.host.settings;
    const env = containerEnv(this.pod, r.spec, this.host.serviceEnv(this.pod), { podIp: this.record.podIp ?? '', hostIp: s.nodeIp, nodeName: s.nodeName });
    const argv = containerArgv(r.spec, env);
    if (!argv) {
      r.view.state = { kind: 'waiting', reason: 'CreateContainerError', message: `container ${r.spec.name}: no command; images are recorded, not pulled, so set command` };
      this.scheduleStatus();
      return;
    }
    const gen = ++r.generation;
    r.killed = false;
    try {
      const cwd = r.spec.workingDir && existsSync(r.spec.workingDir) ? r.spec.workingDir : '/';
      const exitFile = this.exitFile(r);
      rmSync(exitFile, { force: true });
      r.handle = spawnContainer({ netns: this.netns, argv, env, cwd, logFile: this.logFile(r.spec.name), exitFile }, (code) => this.onExit(r, gen, code, exitReason(code)));
    } catch (err) {
      r.view.state = { kind: 'waiting', reason: 'RunContainerError', message: (err as Error).message };
      this.scheduleRestart(r);
      return;
    }
    r.view.state = { kind: 'running', startedAt: nowIso() };
    r.view.started = true;
    r.view.ready = !r.spec.readinessProbe;
    this.startProbes(r, gen);
    this.persist();
    this.scheduleStatus();
  }

  private exitFile(r: ContainerRun): string {
    return this.host.store.exitStatusPath(this.uid, r.spec.name);
  }

  /**
   * A container whose process this agent is not the parent of (adopted) has ended: its exit
   * status comes from the file its recorder wrote. None there: this agent SIGKILLed the group
   * (137), or the process ended in a way nothing recorded (255, reason Unknown).
   */
  private onUnparentedExit(r: ContainerRun, gen: number): void {
    const code = readExitStatus(this.exitFile(r));
    if (code !== undefined) this.onExit(r, gen, code, exitReason(code));
    else if (r.killed) this.onExit(r, gen, 137, 'Error');
    else this.onExit(r, gen, 255, 'Unknown', 'the process ended while the agent was not its parent and left no exit status');
  }

  private adoptRunning(r: ContainerRun): void {
    const gen = ++r.generation;
    const prev = this.record.containers[r.spec.name];
    r.view.state = { kind: 'running', startedAt: prev?.startedAt ?? nowIso() };
    r.view.started = true;
    // keep the readiness the previous agent saw (the probe confirms or revokes it), so an agent
    // restart does not flap the pod out of its Services' endpoints
    r.view.ready = prev?.ready ?? false;
    r.pollTimer = setInterval(() => {
      if (r.handle && !isAlive(r.handle)) {
        clearInterval(r.pollTimer);
        r.pollTimer = undefined;
        this.onUnparentedExit(r, gen);
      }
    }, 500);
    r.pollTimer.unref();
    this.startProbes(r, gen);
    this.log.info('adopted running container', { pod: `${this.record.namespace}/${this.record.name}`, container: r.spec.name, pid: r.handle?.pid });
  }

  private onExit(r: ContainerRun, gen: number, exitCode: number, reason: string, message?: string): void {
    if (gen !== r.generation) return;
    r.generation++;
    this.stopProbes(r);
    const startedAt = r.view.state.kind === 'running' ? r.view.state.startedAt : undefined;
    r.handle = undefined;
    r.view.ready = false;
    const terminated = { exitCode, reason, ...(startedAt ? { startedAt } : {}), finishedAt: nowIso() };
    r.view.state = { kind: 'terminated', ...terminated, ...(message ? { message } : {}) };
    if (this.terminating || this.closed) {
      this.scheduleStatus();
      return;
    }
    const policy = this.pod.spec.restartPolicy ?? 'Always';
    const restart = policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);
    this.log.info('container exited', { pod: `${this.record.namespace}/${this.record.name}`, container: r.spec.name, exitCode, restart });
    if (restart) {
      r.view.lastTerminated = terminated;
      this.scheduleRestart(r);
    }
    this.persist();
    this.scheduleStatus();
  }

  /** Restart after the current back-off (doubling up to the maximum, reset after 10 min of running). */
  private scheduleRestart(r: ContainerRun): void {
    const ranFor = r.view.lastTerminated?.startedAt ? Date.parse(r.view.lastTerminated.finishedAt) - Date.parse(r.view.lastTerminated.startedAt) : 0;
    const s = this.host.settings;
    const { delayMs: delay, next } = nextRestartDelay({ nextMs: r.backoffMs }, { restartCount: r.view.restartCount, ranForMs: ranFor }, { initialMs: s.backoffInitialMs, maxMs: s.backoffMaxMs, resetAfterMs: 600_000 });
    r.backoffMs = next.nextMs;
    if (delay > 0) r.view.state = { kind: 'waiting', reason: 'CrashLoopBackOff', message: `back-off ${Math.round(delay / 1000)}s restarting failed container=${r.spec.name} pod=${this.record.name}_${this.record.namespace}(${this.uid})` };
    r.restartTimer = setTimeout(() => {
      r.restartTimer = undefined;
      r.view.restartCount++;
      this.startContainer(r);
    }, delay);
    r.restartTimer.unref();
  }

  private startProbes(r: ContainerRun, gen: number): void {
    this.stopProbes(r);
    r.stopProbes = startProbeLoops(r.spec, () => ({ podIp: this.record.podIp ?? '', netns: this.netns, container: r.spec }), {
      current: () => gen === r.generation && !this.closed,
      ready: () => r.view.ready,
      readinessChanged: (ready) => {
        r.view.ready = ready;
        this.persist();
        this.scheduleStatus();
      },
      livenessFailed: (failure) => {
        this.log.info('liveness probe failed: killing the container', { pod: `${this.record.namespace}/${this.record.name}`, container: r.spec.name, failure });
        const h = r.handle;
        if (!h) return;
        signalContainer(h, 'SIGTERM');
        const grace = (r.spec.livenessProbe?.terminationGracePeriodSeconds ?? this.pod.spec.terminationGracePeriodSeconds ?? 30) * 1000;
        void waitGone(h, grace).then((gone) => {
          if (gone || gen !== r.generation) return;
          r.killed = true;
          signalContainer(h, 'SIGKILL');
        });
      },
    });
  }

  private stopProbes(r: ContainerRun): void {
    r.stopProbes?.();
    r.stopProbes = undefined;
  }

  /** A newer version of the pod object arrived. */
  update(pod: Pod): void {
    this.pod = pod;
    if (pod.metadata.deletionTimestamp && !this.terminating) {
      const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
      void this.terminate(grace, true);
    }
  }

  /** The view the status is computed from. */
  view(): PodView {
    return {
      hostIp: this.host.settings.nodeIp,
      podIp: this.record.podIp,
      startTime: this.record.startTime,
      ...(this.sandboxError ? { sandboxError: this.sandboxError } : {}),
      containers: [...this.runs.values()].map((r) => r.view),
      restartPolicy: this.pod.spec.restartPolicy ?? 'Always',
    };
  }

  private scheduleStatus(): void {
    if (this.statusTimer || this.closed) return;
    this.statusTimer = setTimeout(() => {
      this.statusTimer = undefined;
      this.statusWrites = this.statusWrites.then(() => this.syncStatus()).catch((err: unknown) => void this.log.warn('pod status sync failed', { error: String(err) }));
    }, 0);
  }

  private async syncStatus(): Promise<void> {
    if (this.closed) return;
    const status = buildPodStatus(this.pod, this.view(), nowIso());
    const key = JSON.stringify({ ...status, conditions: status.conditions?.map((c) => ({ ...c, lastTransitionTime: undefined })) });
    if (key === this.lastStatus) return;
    try {
      await this.host.patchStatus(this.pod, status);
      this.lastStatus = key;
    } catch (err) {
      this.log.warn('pod status update failed', { pod: `${this.record.namespace}/${this.record.name}`, error: (err as Error).message });
      setTimeout(() => this.scheduleStatus(), 1000).unref();
    }
  }

  /**
   * Stops the pod: SIGTERM to every container, up to `graceSeconds` for them to end, SIGKILL,
   * then CNI DEL (the IP is released), the namespace and the pod files are removed, the state
   * record goes, and — when `confirm` — the pod object is finalised.
   */
  terminate(graceSeconds: number, confirm: boolean): Promise<void> {
    if (!this.terminating) this.terminating = this.doTerminate(graceSeconds, confirm);
    return this.terminating;
  }

  private async doTerminate(graceSeconds: number, confirm: boolean): Promise<void> {
    const who = `${this.record.namespace}/${this.record.name}`;
    this.log.info('stopping pod', { pod: who, graceSeconds });
    const handles: ProcessHandle[] = [];
    for (const r of this.runs.values()) {
      if (r.restartTimer) clearTimeout(r.restartTimer);
      if (r.pollTimer) clearInterval(r.pollTimer);
      this.stopProbes(r);
      if (r.handle) handles.push(r.handle);
    }
    for (const h of handles) signalContainer(h, 'SIGTERM');
    await Promise.all(
      handles.map(async (h) => {
        if (!(await waitGone(h, graceSeconds * 1000))) {
          for (const r of this.runs.values()) if (r.handle === h) r.killed = true;
          signalContainer(h, 'SIGKILL');
          await waitGone(h, 5000);
        }
      }),
    );
    await tearDownSandbox(this.host, this.record, this.netns);
    this.host.store.remove(this.uid);
    this.closed = true;
    if (this.statusTimer) clearTimeout(this.statusTimer);
    if (confirm) {
      try {
        await this.host.confirmDelete(this.pod);
      } catch (err) {
        this.log.warn('finalising the pod failed', { pod: who, error: (err as Error).message });
      }
    }
    this.log.info('pod stopped', { pod: who });
  }

  /** Agent shutdown: stop timers, leave processes running for the next agent to adopt. */
  detach(): void {
    this.closed = true;
    this.host.serviceAccounts?.forget(this.netns);
    if (this.statusTimer) clearTimeout(this.statusTimer);
    for (const r of this.runs.values()) {
      if (r.restartTimer) clearTimeout(r.restartTimer);
      if (r.pollTimer) clearInterval(r.pollTimer);
      this.stopProbes(r);
    }
    this.persist();
  }
}
