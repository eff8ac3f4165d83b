/**
 * ClusterIP and NodePort allocation plugged into the API server's admission seam
 * (controller/server/admission.ts). Create and update allocate inside `admit` — synchronously,
 * so parallel requests never collide — and the seam's `rollback` frees them when the store
 * write fails. Releases (delete, type change, removed port) must only happen once the write is
 * durable; the seam has no commit callback, so this module watches the store's Services and
 * finalises a pending release when a stored state newer than the admitted one no longer holds
 * the value (or after `rollback`, cancels it). At start-up `start()` rebuilds every allocation
 * from the stored Services, which is the repair: nothing leaks, nothing is booked twice.
 */
import type { AdmissionHook, AdmissionOutcome, AdmissionRequest } from '../../server/admission.js';
import { errors } from '../../server/errors.js';
import type { Store, StoredObject, Watch } from '../../store/store.js';
import type { Service } from '../../api/service.js';
import { AllocationError, ServiceAllocator, type AllocationTxn, type RepairReport, type ServiceAllocatorOptions } from './service-allocator.js';
import { claimedDelete, claimedTransition, followClaims } from './claimed-transition.js';
import type { AllocationClaims } from './store-claims.js';

export interface ServiceAllocationAdmission {
  /** The hook to pass to the API server's admission list. */
  readonly hook: AdmissionHook;
  readonly allocator: ServiceAllocator;
  /** Rebuilds allocations from the stored Services and starts confirming releases. */
  start(): Promise<RepairReport>;
  stop(): void;
}

export interface ServiceAllocationAdmissionOptions extends ServiceAllocatorOptions {
  /** The server's store: read at start-up (repair) and watched to confirm releases. */
  store: Store;
  onRepairProblem?(message: string): void;
  /**
   * Shared claims (`storeClaims(store)`) when several API servers allocate from one store
   * (etcd): every taken value is then also claimed with a create-only write. Omit for one server.
   */
  claims?: AllocationClaims;
}

const SERVICES_PREFIX = '/core/services/';

interface PendingRelease {
  afterRevision: number;
  txn: AllocationTxn;
}

const revisionOf = (o: StoredObject | undefined) => Number((o?.metadata as { resourceVersion?: string } | undefined)?.resourceVersion ?? 0);
const ownerOfObj = (o: StoredObject) => {
  const m = (o.metadata ?? {}) as { namespace?: string; name?: string };
  return `${m.namespace ?? 'default'}/${m.name ?? ''}`;
};

export function createServiceAllocationAdmission(opts: ServiceAllocationAdmissionOptions): ServiceAllocationAdmission {
  const allocator = new ServiceAllocator(opts);
  const pending = new Map<string, Set<PendingRelease>>();
  let watch: Watch | undefined;
  let claimsFollower: { stop(): void } | undefined;
  const claims = opts.claims;
  const onClaimProblem = (m: string) => opts.onRepairProblem?.(`allocation claims: ${m}`);

  const deferRelease = (owner: string, afterRevision: number, txn: AllocationTxn): AdmissionOutcome => {
    const entry: PendingRelease = { afterRevision, txn };
    let set = pending.get(owner);
    if (!set) pending.set(owner, (set = new Set()));
    set.add(entry);
    return {
      rollback: () => {
        set!.delete(entry);
        txn.rollback();
      },
    };
  };

  const onStoredChange = (obj: StoredObject, revision: number) => {
    const owner = ownerOfObj(obj);
    const set = pending.get(owner);
    if (!set) return;
    for (const p of set) {
      if (revision <= p.afterRevision) continue;
      set.delete(p);
      p.txn.commit();
    }
    if (set.size === 0) pending.delete(owner);
  };

  /**
   * A dry run only checks: the local bitmap picks (and the answer reports) what a real request
   * would get, shared claims are only read, and the rollback the server calls right after
   * admission frees the local picks. Nothing is claimed, released or deferred; a delete has
   * nothing to check.
   */
  const dryRun = async (req: AdmissionRequest, prev: Service, next: Service): Promise<AdmissionOutcome | void> => {
    let txn: AllocationTxn | undefined;
    const check = { check: true };
    if (req.operation === 'CREATE' && req.object) {
      txn = claims ? await claimedTransition(allocator, claims, undefined, next, () => allocator.create(next), onClaimProblem, check) : allocator.create(next);
    } else if (req.operation === 'UPDATE' && req.object && req.oldObject) {
      txn = claims ? await claimedTransition(allocator, claims, prev, next, () => allocator.update(prev, next), onClaimProblem, check) : allocator.update(prev, next);
    }
    if (!txn) return;
    const picked = txn;
    return { rollback: () => picked.rollback() };
  };

  const hook: AdmissionHook = {
    name: 'ServiceAllocation',
    async admit(req: AdmissionRequest): Promise<AdmissionOutcome | void> {
      if (req.kind.group !== '' || req.kind.kind !== 'Service' || req.subresource) return;
      try {
        const next = req.object as unknown as Service;
        const prev = req.oldObject as unknown as Service;
        if (req.dryRun) return await dryRun(req, prev, next);
        if (req.operation === 'CREATE' && req.object) {
          const txn = claims ? await claimedTransition(allocator, claims, undefined, next, () => allocator.create(next), onClaimProblem) : allocator.create(next);
          return { rollback: () => txn.rollback() };
        }
        if (req.operation === 'UPDATE' && req.object && req.oldObject) {
          const txn = claims ? await claimedTransition(allocator, claims, prev, next, () => allocator.update(prev, next), onClaimProblem) : allocator.update(prev, next);
          return deferRelease(ownerOfObj(req.oldObject), revisionOf(req.oldObject), txn);
        }
        if (req.operation === 'DELETE' && req.oldObject) {
          const local = allocator.delete(prev);
          const txn = claims ? claimedDelete(local, claims, prev, onClaimProblem) : local;
          return deferRelease(ownerOfObj(req.oldObject), revisionOf(req.oldObject), txn);
        }
      } catch (err) {
        if (err instanceof AllocationError) throw errors.invalid('Service', '', req.name, err.causes);
        throw err;
      }
    },
  };

  return {
    hook,
    allocator,
    async start() {
      const items: StoredObject[] = [];
      let token: string | undefined;
      let revision = 0;
      do {
        const page = await opts.store.list(SERVICES_PREFIX, { limit: 1000, ...(token ? { continue: token } : {}) });
        items.push(...page.items);
        revision ||= page.revision;
        token = page.continue;
      } while (token);
      const report = allocator.rebuild(items as unknown as Service[]);
      for (const d of report.duplicates) opts.onRepairProblem?.(`${d.value} is claimed by ${d.owner} and ${d.duplicate}; kept for ${d.owner}`);
      for (const o of report.outOfRange) opts.onRepairProblem?.(`${o.value} of ${o.owner} is outside the configured range`);
      if (claims && !claimsFollower) claimsFollower = await followClaims(allocator, claims, items as unknown as Service[], { onProblem: onClaimProblem });
      watch = opts.store.watch(SERVICES_PREFIX, {
        fromRevision: revision,
        onEvent: (e) => onStoredChange(e.object, e.revision),
        onError: (err) => {
          opts.onRepairProblem?.(`service watch ended (${err.message}); rebuilding`);
          watch = undefined;
          // A fresh rebuild re-derives everything; pending releases are then moot.
          for (const set of pending.values()) for (const p of set) p.txn.commit();
          pending.clear();
          void this.start().catch(() => undefined);
        },
      });
      return report;
    },
    stop() {
      watch?.stop();
      watch = undefined;
      claimsFollower?.stop();
      claimsFollower = undefined;
    },
  };
}
