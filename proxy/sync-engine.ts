import type { Logger } from '../daemon/logger.js';
import type { Conntrack } from '../kernel/conntrack.js';
import type { Iptables } from '../kernel/iptables.js';
import { joinedLength } from '../kernel/iptables-exec.js';
import {
  CHAINS,
  EndpointSliceChangeTracker,
  ServiceChangeTracker,
  RuleCache,
  buildRules,
  categorizeEndpoints,
  endpointsKey,
  KernelStateScan,
  snapshotUdp,
  staleUdpFlows,
  type EndpointInfo,
  type EndpointSliceLike,
  type JumpRule,
  type RuleBuilderConfig,
  type ServiceLike,
  type ServicePortInfo,
  type TopLevelText,
} from './core/index.js';
import { ProxyError } from './errors.js';
import type { ProxyMetrics } from './metrics.js';

export interface SyncEngineOptions {
  iptables: Iptables;
  conntrack: Conntrack;
  config: RuleBuilderConfig;
  log: Logger;
  metrics?: ProxyMetrics;
  /** Minimum time between the starts of two syncs (bursts inside it become one sync). */
  minSyncPeriodMs: number;
  /** Periodic sync (also checks the canary); a queued change older than 2× this makes /healthz fail. */
  syncPeriodMs: number;
  /** A full resync at least this often. */
  fullSyncPeriodMs?: number;
  /**
   * Leave top-level chains (SX-SERVICES, …, filter) out of partial syncs when their text did not
   * change since the last successful restore. kube-proxy always rewrites them; skipping keeps a
   * partial sync at 10,000 services proportional to the change. Full syncs always write them.
   */
  skipUnchangedTopLevel?: boolean;
  /**
   * Full syncs write the per-service chains in restores of about this many chains each before
   * the main one (see RuleBuilder's maxChainsPerRestore). Default: 1,000 with iptables-nft (whose
   * restore is quadratic in the chains one payload names), unlimited with legacy (whose every
   * restore replaces the whole table, so one is cheapest).
   */
  maxChainsPerRestore?: number;
  now?: () => number;
}

/** Chains per restore on full syncs with iptables-nft (see SyncEngineOptions.maxChainsPerRestore). */
export const DEFAULT_NFT_CHAINS_PER_RESTORE = 1000;

/** Result of one sync, for logs and tests. */
export interface SyncResult {
  full: boolean;
  ok: boolean;
  durationMs: number;
  writtenChains: number;
  payloadBytes: number;
  /** iptables-restore runs this sync made (more than one on chunked full syncs). */
  restores: number;
}

/** A Local-policy service port's health-check NodePort and its local endpoint count. */
export interface HealthCheckTarget {
  namespace: string;
  name: string;
  port: number;
  localEndpoints: number;
}

/**
 * The proxy's sync loop: watch events feed the change trackers; a coalescing timer runs one sync
 * at most every minSyncPeriod; each sync builds one payload (full or partial) and applies it with
 * one iptables-restore. A failed restore or a missing canary forces the next sync to be full and
 * to re-read what the kernel holds.
 */
export class SyncEngine {
  private readonly services = new Map<string, ServicePortInfo>();
  private readonly endpoints = new Map<string, EndpointInfo[]>();
  private readonly serviceTracker: ServiceChangeTracker;
  private readonly sliceTracker: EndpointSliceChangeTracker;
  private readonly now: () => number;
  private existingChains = new Set<string>();
  private kernelStateKnown = false;
  private needFull = true;
  private lastFullAt = 0;
  private lastSyncStart = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  private periodic: NodeJS.Timeout | undefined;
  private running: Promise<SyncResult> | undefined;
  private dirty = false;
  private started = false;
  private stopped = false;
  private unappliedSince: number | undefined;
  private readonly serviceRuleCounts = new Map<string, number>();
  private readonly ruleCache = new RuleCache();
  private appliedTopLevel: TopLevelText | undefined;
  private lastUpdated = 0;
  /** Called after each successful sync with the health-check NodePorts to serve. */
  onHealthChecks: ((targets: HealthCheckTarget[]) => void) | undefined;
  /** Called after each sync (tests and benchmarks wait on it). */
  onSynced: ((r: SyncResult) => void) | undefined;

  constructor(private readonly opts: SyncEngineOptions) {
    this.now = opts.now ?? Date.now;
    this.serviceTracker = new ServiceChangeTracker(this.now);
    this.sliceTracker = new EndpointSliceChangeTracker(this.now);
    // Nothing is programmed yet: /healthz turns bad if the first sync does not happen in time.
    this.unappliedSince = this.now();
  }

  onServiceChange(previous: ServiceLike | undefined, current: ServiceLike | undefined): void {
    this.opts.metrics?.serviceChanges.inc();
    if (this.serviceTracker.update(previous, current)) this.queued();
  }

  onSliceChange(slice: EndpointSliceLike, removed: boolean): void {
    this.opts.metrics?.endpointChanges.inc();
    if (this.sliceTracker.update(slice, removed)) this.queued();
  }

  /** Starts syncing (call once the informers delivered their initial lists). */
  start(): void {
    this.started = true;
    this.unappliedSince ??= this.now();
    this.schedule(0);
    this.periodic = setInterval(() => void this.periodicCheck(), this.opts.syncPeriodMs);
    this.periodic.unref();
  }

  /** Stops scheduling, waits for a running sync to finish; the rules stay in place. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.periodic);
    if (this.running) await this.running;
  }

  /** kube-proxy's /healthz body: unhealthy when a change has waited more than 2× syncPeriod. */
  health(): { lastUpdated: string; currentTime: string; healthy: boolean } {
    const now = this.now();
    const healthy = this.unappliedSince === undefined || now - this.unappliedSince < 2 * this.opts.syncPeriodMs;
    return { lastUpdated: new Date(this.lastUpdated || now).toISOString(), currentTime: new Date(now).toISOString(), healthy };
  }

  /** Forces the next sync to be full (and to re-read the kernel), then schedules it now. */
  requestFullSync(): void {
    this.needFull = true;
    this.kernelStateKnown = false;
    this.schedule(0);
  }

  /** Runs one sync now (or waits for the running one and runs again). Exposed for tests and benchmarks. */
  async syncNow(): Promise<SyncResult> {
    while (this.running) await this.running;
    this.running = this.sync();
    try {
      return await this.running;
    } finally {
      this.running = undefined;
    }
  }

  private queued(): void {
    this.unappliedSince ??= this.now();
    this.updatePending();
    if (this.started) this.schedule(Math.max(0, this.lastSyncStart + this.opts.minSyncPeriodMs - this.now()));
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.running) {
      this.dirty = true;
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.syncNow().then(() => {
        if (this.dirty) {
          this.dirty = false;
          this.schedule(Math.max(0, this.lastSyncStart + this.opts.minSyncPeriodMs - this.now()));
        }
      });
    }, delayMs);
  }

  private async periodicCheck(): Promise<void> {
    if (this.stopped || this.running) return;
    if (!(await this.canaryIntact())) {
      this.opts.metrics?.repairs.inc();
      this.opts.log.warn('our iptables rules were flushed by someone else; repairing with a full sync');
      this.requestFullSync();
      return;
    }
    if (this.opts.fullSyncPeriodMs !== undefined && this.now() - this.lastFullAt >= this.opts.fullSyncPeriodMs) this.needFull = true;
    this.schedule(0);
  }

  /** True when the canary chain (with its rule) is in mangle, nat and filter. */
  async canaryIntact(): Promise<boolean> {
    for (const table of ['mangle', 'nat', 'filter']) {
      const lines = await this.opts.iptables.listChain(table, CHAINS.canary).catch(() => null);
      if (!lines || !lines.some((l) => l.startsWith(`-A ${CHAINS.canary}`))) return false;
    }
    return true;
  }

  private updatePending(): void {
    this.opts.metrics?.servicesPending.set(this.serviceTracker.pending());
    this.opts.metrics?.endpointsPending.set(this.sliceTracker.pending());
  }

  private async sync(): Promise<SyncResult> {
    const start = this.now();
    this.lastSyncStart = start;
    const full = this.needFull || (this.opts.fullSyncPeriodMs !== undefined && start - this.lastFullAt >= this.opts.fullSyncPeriodMs);
    const udpBefore = snapshotUdp(this.services, this.endpoints);
    const a = this.serviceTracker.apply(this.services);
    const b = this.sliceTracker.apply(this.endpoints);
    this.updatePending();
    const changed = new Set([...a.changed, ...b.changed]);
    const queuedAt = new Map(a.queuedAt);
    for (const [k, t] of b.queuedAt) queuedAt.set(k, Math.min(t, queuedAt.get(k) ?? t));
    const log = this.opts.log;
    let payloadBytes = 0;
    try {
      let jumps: JumpRule[] = [];
      if (full) {
        // Streamed: at 10,000 services the nat dump is 24 MB, and holding it (plus its split lines)
        // was the proxy's memory peak on every full resync of a populated table.
        const scan = new KernelStateScan();
        for (const table of ['nat', 'filter']) {
          await this.opts.iptables.saveLines(table, (l) => scan.line(table, l)).catch((err: unknown) => {
            throw new ProxyError('PROXY_KERNEL_READ', `iptables-save -t ${table} failed: ${String(err)}`, { cause: err });
          });
        }
        this.existingChains = scan.ownedChains;
        jumps = scan.missingJumps();
      }
      const plan = buildRules(this.opts.config, {
        services: this.services,
        endpoints: this.endpoints,
        full,
        changedServices: changed,
        existingChains: this.existingChains,
        missingJumps: jumps,
        ...(this.opts.skipUnchangedTopLevel && this.appliedTopLevel ? { appliedTopLevel: this.appliedTopLevel } : {}),
        maxChainsPerRestore: this.opts.maxChainsPerRestore ?? (this.opts.iptables.mode === 'nft' ? DEFAULT_NFT_CHAINS_PER_RESTORE : 0),
      }, this.ruleCache);
      payloadBytes = plan.payload.length;
      for (const p of plan.preludes) payloadBytes += joinedLength(p);
      try {
        for (const p of plan.preludes) await this.opts.iptables.restore(p);
        await this.opts.iptables.restore(plan.payload);
      } catch (err) {
        throw new ProxyError('PROXY_RESTORE_FAILED', `iptables-restore failed: ${String(err)}`, { cause: err });
      }
      if (full) this.existingChains = plan.chains;
      else {
        for (const c of plan.chainsRemoved) this.existingChains.delete(c);
        for (const c of plan.chainsAdded) this.existingChains.add(c);
      }
      this.appliedTopLevel = plan.topLevel;
      this.kernelStateKnown = true;
      this.needFull = false;
      const end = this.now();
      if (full) {
        this.lastFullAt = start;
        this.serviceRuleCounts.clear();
      }
      for (const [svc, n] of plan.serviceRules) this.serviceRuleCounts.set(svc, n);
      for (const svc of changed) if (!plan.serviceRules.has(svc)) this.serviceRuleCounts.delete(svc);
      this.lastUpdated = end;
      if (this.serviceTracker.pending() === 0 && this.sliceTracker.pending() === 0) this.unappliedSince = undefined;
      const m = this.opts.metrics;
      if (m) {
        const secs = (end - start) / 1000;
        m.syncDuration.observe(secs);
        (full ? m.syncFullDuration : m.syncPartialDuration).observe(secs);
        for (const t of queuedAt.values()) m.programmingDuration.observe((end - t) / 1000);
        m.lastSync.set(end / 1000);
        let natTotal = plan.topLevelRules.nat;
        for (const n of this.serviceRuleCounts.values()) natTotal += n;
        m.rulesTotal.set({ table: 'nat' }, natTotal);
        m.rulesTotal.set({ table: 'filter' }, plan.topLevelRules.filter);
        m.rulesLast.set({ table: 'nat' }, plan.writtenRules.nat);
        m.rulesLast.set({ table: 'filter' }, plan.writtenRules.filter);
        m.noLocalEndpoints.set(plan.noLocalEndpoints);
      }
      const result: SyncResult = { full, ok: true, durationMs: end - start, writtenChains: plan.writtenChains, payloadBytes, restores: plan.preludes.length + 1 };
      log.debug('synced', { ...result, changedServices: changed.size, deletedChains: plan.deletedChains.length });
      await this.cleanupConntrack(udpBefore);
      this.onHealthChecks?.(this.healthCheckTargets());
      this.onSynced?.(result);
      return result;
    } catch (err) {
      this.needFull = true;
      this.kernelStateKnown = false;
      this.appliedTopLevel = undefined;
      this.opts.metrics?.restoreFailures.inc();
      log.error('sync failed; the next sync will be full', { error: err instanceof Error ? err.message : String(err) });
      const result: SyncResult = { full, ok: false, durationMs: this.now() - start, writtenChains: 0, payloadBytes, restores: 0 };
      if (!this.stopped) setTimeout(() => this.schedule(0), Math.max(this.opts.minSyncPeriodMs, 1000)).unref();
      this.onSynced?.(result);
      return result;
    }
  }

  private async cleanupConntrack(before: ReturnType<typeof snapshotUdp>): Promise<void> {
    for (const flow of staleUdpFlows(before, snapshotUdp(this.services, this.endpoints))) {
      try {
        const n = await this.opts.conntrack.deleteUdp(flow);
        if (n > 0) this.opts.log.info('deleted stale UDP conntrack entries', { ...flow, entries: n });
      } catch (err) {
        this.opts.log.warn('conntrack cleanup failed', { ...flow, error: String(err) });
      }
    }
  }

  /** Health-check NodePorts of Local-policy ports, with how many ready endpoints this node has. */
  healthCheckTargets(): HealthCheckTarget[] {
    const out = new Map<number, HealthCheckTarget>();
    for (const [spn, s] of this.services) {
      if (s.healthCheckNodePort <= 0) continue;
      const { local } = categorizeEndpoints(this.endpoints.get(endpointsKey(spn, s.protocol)) ?? [], this.opts.config.nodeName);
      const [namespace, name] = s.service.split('/') as [string, string];
      const prev = out.get(s.healthCheckNodePort);
      out.set(s.healthCheckNodePort, { namespace, name, port: s.healthCheckNodePort, localEndpoints: Math.max(prev?.localEndpoints ?? 0, local.length) });
    }
    return [...out.values()];
  }

  /** Whether the kernel state is known (false until the first successful sync and after failures). */
  get synced(): boolean {
    return this.kernelStateKnown;
  }
}
