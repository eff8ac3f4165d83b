/**
 * Leader election on a coordination.k8s.io/v1 Lease through the public API (as client-go's
 * leaderelection with a LeaseLock): one holder at a time, decided by optimistic concurrency on
 * the Lease's resourceVersion, so it works on any API server(s) in front of any store.
 *
 * - acquire: create the Lease, or update it (with its resourceVersion) when its holder is empty
 *   or its renewTime has not changed for leaseDurationSeconds as observed on this process's
 *   clock (peers' clocks are never compared);
 * - renew: the holder updates renewTime every retryPeriod; if no renew succeeds within
 *   renewDeadline it stops leading (before a peer can take over after leaseDuration);
 * - release: on stop the holder empties holderIdentity so a peer takes over at once.
 */
import type { ApiClient } from '../api/client.js';
import { ApiError, isApiError } from '../api/errors.js';
import { KINDS } from '../api/kinds.js';
import type { Lease } from '../api/lease.js';

export interface LeaderElectionOptions {
  client: ApiClient;
  /** Lease name, e.g. `sextant-controller-manager`. */
  name: string;
  namespace?: string;
  /** This process's identity (host name + random suffix is a good choice). */
  identity: string;
  leaseDurationSeconds?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Called when this process becomes leader; run the controllers. */
  onStartedLeading(): void | Promise<void>;
  /** Called when leadership is lost or released; stop the controllers. */
  onStoppedLeading(): void | Promise<void>;
  /** Called when another identity is observed holding the lease. */
  onNewLeader?(identity: string): void;
  log?: { info(m: string, meta?: object): void; warn(m: string, meta?: object): void };
  now?: () => number;
}

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
export const microTime = (ms: number): string => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

export class LeaderElector {
  private leading = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private lastRenew = 0;
  private observed: { holder: string; renewTime: string; at: number } | undefined;
  private running: Promise<void> = Promise.resolve();
  readonly namespace: string;
  readonly leaseDurationSeconds: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: LeaderElectionOptions) {
    this.namespace = opts.namespace ?? 'kube-system';
    this.leaseDurationSeconds = opts.leaseDurationSeconds ?? 15;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = opts.retryPeriodMs ?? 2000;
    this.now = opts.now ?? Date.now;
    if (!(this.renewDeadlineMs < this.leaseDurationSeconds * 1000)) {
      throw new ApiError(0, 'BadRequest', 'leader: renewDeadlineMs must be shorter than leaseDurationSeconds');
    }
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** Starts campaigning; never throws (API errors are retried every retryPeriod). */
  start(): void {
    const tick = () => {
      if (this.stopped) return;
      this.running = this.round().finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.retryPeriodMs);
      });
    };
    tick();
  }

  /** Stops campaigning; a leader stops leading and releases the Lease. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running.catch(() => undefined);
    if (this.leading) {
      await this.lose('released');
      await this.release().catch((err: Error) => this.opts.log?.warn('leader: release failed', { error: err.message }));
    }
  }

  private async round(): Promise<void> {
    let ok = false;
    try {
      ok = await this.tryAcquireOrRenew();
    } catch (err) {
      this.opts.log?.warn('leader: lease request failed', { error: (err as Error).message });
    }
    if (this.stopped) return;
    if (ok) {
      this.lastRenew = this.now();
      if (!this.leading) {
        this.leading = true;
        this.opts.log?.info('leader: started leading', { identity: this.opts.identity, lease: `${this.namespace}/${this.opts.name}` });
        await this.opts.onStartedLeading();
      }
    } else if (this.leading && this.now() - this.lastRenew >= this.renewDeadlineMs) {
      await this.lose('renew deadline passed');
    } else if (this.leading && this.observed && this.observed.holder !== this.opts.identity) {
      await this.lose(`lease taken by ${this.observed.holder}`);
    }
  }

  private async lose(why: string): Promise<void> {
    if (!this.leading) return;
    this.leading = false;
    this.opts.log?.warn('leader: stopped leading', { identity: this.opts.identity, reason: why });
    await this.opts.onStoppedLeading();
  }

  private desired(cur: Lease | undefined): Lease {
    const now = microTime(this.now());
    const spec = cur?.spec ?? {};
    const mine = spec.holderIdentity === this.opts.identity;
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { ...(cur?.metadata ?? {}), name: this.opts.name, namespace: this.namespace },
      spec: {
        ...spec,
        holderIdentity: this.opts.identity,
        leaseDurationSeconds: this.leaseDurationSeconds,
        acquireTime: mine && spec.acquireTime ? spec.acquireTime : now,
        renewTime: now,
        leaseTransitions: mine ? (spec.leaseTransitions ?? 0) : cur ? (spec.leaseTransitions ?? 0) + 1 : 0,
      },
    };
  }

  /** One election round: true when this process holds the Lease afterwards. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const { client, name } = this.opts;
    let cur: Lease | undefined;
    try {
      cur = await client.get<Lease>(KINDS.Lease, this.namespace, name);
    } catch (err) {
      if (!isApiError(err, 'NotFound')) throw err;
    }
    if (!cur) {
      try {
        await client.create<Lease>(KINDS.Lease, this.desired(undefined));
        return true;
      } catch (err) {
        if (isApiError(err, 'AlreadyExists')) return false;
        throw err;
      }
    }
    const holder = cur.spec?.holderIdentity ?? '';
    const renewTime = cur.spec?.renewTime ?? '';
    if (!this.observed || this.observed.holder !== holder || this.observed.renewTime !== renewTime) {
      this.observed = { holder, renewTime, at: this.now() };
      if (holder && holder !== this.opts.identity) this.opts.onNewLeader?.(holder);
    }
    const duration = (cur.spec?.leaseDurationSeconds ?? this.leaseDurationSeconds) * 1000;
    if (holder !== '' && holder !== this.opts.identity && this.observed.at + duration > this.now()) return false;
    try {
      await client.update<Lease>(KINDS.Lease, this.desired(cur));
    } catch (err) {
      if (isApiError(err, 'Conflict')) return false;
      throw err;
    }
    this.observed = { holder: this.opts.identity, renewTime: '', at: this.now() };
    return true;
  }

  private async release(): Promise<void> {
    const cur = await this.opts.client.get<Lease>(KINDS.Lease, this.namespace, this.opts.name);
    if (cur.spec?.holderIdentity !== this.opts.identity) return;
    await this.opts.client.update<Lease>(KINDS.Lease, {
      ...cur,
      spec: { ...cur.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(this.now()) },
    });
  }
}
