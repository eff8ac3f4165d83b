/**
 * ServiceAllocator transitions made exact across API servers by AllocationClaims: the local
 * bitmap picks values, each newly taken value is then claimed in the shared store, and a value
 * another server claimed first is marked taken locally before the transition is retried from the
 * request's original spec. Releases drop the claims once the store has the change (commit).
 */
import type { Service } from '../../api/service.js';
import type { AllocationClaims, Claim } from './store-claims.js';
import type { AllocationTxn, ServiceAllocator } from './service-allocator.js';

const MAX_ATTEMPTS = 256;

const ownerOf = (svc: Service) => `${svc.metadata.namespace ?? 'default'}/${svc.metadata.name ?? ''}`;

/** The values `svc` holds, as claims of `owner`. */
export function claimsOf(svc: Service | undefined): Claim[] {
  if (!svc) return [];
  const owner = ownerOf(svc);
  const out: Claim[] = [];
  if (svc.spec.type !== 'ExternalName') {
    const ips = svc.spec.clusterIPs?.length ? svc.spec.clusterIPs : svc.spec.clusterIP ? [svc.spec.clusterIP] : [];
    for (const ip of new Set(ips)) if (ip && ip !== 'None') out.push({ kind: 'clusterips', value: ip, owner });
  }
  const ports = new Set<number>();
  for (const p of svc.spec.ports ?? []) if (p.nodePort) ports.add(p.nodePort);
  if (svc.spec.healthCheckNodePort) ports.add(svc.spec.healthCheckNodePort);
  for (const p of ports) out.push({ kind: 'nodeports', value: String(p), owner });
  return out;
}

const id = (c: Claim) => `${c.kind}/${c.value}`;

/** Marks a value another server holds as taken in the local bitmap (ignored when out of range). */
export function markTaken(allocator: ServiceAllocator, c: Claim): void {
  try {
    if (c.kind === 'clusterips') allocator.ips.allocate(c.value, c.owner);
    else allocator.ports.allocate(Number(c.value), c.owner);
  } catch {
    // Out of this server's range, or held locally by a request still in flight: its claim decides.
  }
}

/** Frees a value in the local bitmap if `c.owner` holds it there. */
export function unmarkTaken(allocator: ServiceAllocator, c: Claim): void {
  if (c.kind === 'clusterips') allocator.ips.release(c.value, c.owner);
  else allocator.ports.release(Number(c.value), c.owner);
}

/**
 * Runs `transition` (allocator.create/update on `next`) until every newly taken value is claimed.
 * The returned txn's rollback frees values and claims; commit releases what `next` dropped.
 *
 * `check` (a dry run): the same choice, but each newly taken value is only looked up — a value
 * another server holds is marked taken and the choice retried as above — and nothing is claimed
 * or released, so the store sees reads only. The txn then touches the local bitmap alone.
 */
export async function claimedTransition(
  allocator: ServiceAllocator,
  claims: AllocationClaims,
  prev: Service | undefined,
  next: Service,
  transition: () => AllocationTxn,
  onReleaseError: (message: string) => void,
  opts: { check?: boolean } = {},
): Promise<AllocationTxn> {
  const pristine = structuredClone(next.spec);
  for (let attempt = 1; ; attempt++) {
    const txn = transition();
    const before = new Set(claimsOf(prev).map(id));
    const wanted = claimsOf(next).filter((c) => !before.has(id(c)));
    const got: Claim[] = [];
    let lost: Claim | undefined;
    try {
      for (const c of wanted) {
        const r = opts.check ? await checkClaim(claims, c) : await claims.claim(c);
        if (r.ok) got.push(c);
        else {
          lost = { ...c, owner: r.holder };
          break;
        }
      }
    } catch (err) {
      txn.rollback();
      if (!opts.check) await Promise.all(got.map((c) => claims.release(c).catch(() => undefined)));
      throw err;
    }
    if (!lost) return opts.check ? txn : withClaims(txn, claims, got, prev, next, onReleaseError);
    txn.rollback();
    if (!opts.check) await Promise.all(got.map((c) => claims.release(c).catch(() => undefined)));
    markTaken(allocator, lost);
    next.spec = structuredClone(pristine);
    if (attempt >= MAX_ATTEMPTS) throw new Error(`allocation: no free value after ${MAX_ATTEMPTS} attempts (other API servers hold them)`);
  }
}

/** What `claims.claim(c)` would answer now, read without writing. */
async function checkClaim(claims: AllocationClaims, c: Claim): Promise<{ ok: true } | { ok: false; holder: string }> {
  const holder = await claims.holder(c);
  return holder === undefined || holder === c.owner ? { ok: true } : { ok: false, holder };
}

function withClaims(txn: AllocationTxn, claims: AllocationClaims, got: Claim[], prev: Service | undefined, next: Service, onErr: (m: string) => void): AllocationTxn {
  const kept = new Set(claimsOf(next).map(id));
  const dropped = claimsOf(prev).filter((c) => !kept.has(id(c)));
  return {
    commit: () => {
      txn.commit();
      for (const c of dropped) claims.release(c).catch((err: Error) => onErr(`releasing ${id(c)}: ${err.message}`));
    },
    rollback: () => {
      txn.rollback();
      for (const c of got) claims.release(c).catch((err: Error) => onErr(`releasing ${id(c)}: ${err.message}`));
    },
  };
}

/** The release of everything a deleted Service held: local on commit, and its claims. */
export function claimedDelete(txn: AllocationTxn, claims: AllocationClaims, old: Service, onErr: (m: string) => void): AllocationTxn {
  return withClaims(txn, claims, [], old, { ...old, spec: { ...old.spec, clusterIP: undefined, clusterIPs: [], ports: [], healthCheckNodePort: undefined } } as Service, onErr);
}

export interface FollowClaimsOptions {
  /** A claim no stored Service holds is a leak once older than this (default 2 min). */
  leakGraceMs?: number;
  onProblem(message: string): void;
  now?: () => number;
}

/**
 * Start-up for several servers: marks values other servers claimed in the local bitmap, claims
 * values stored Services hold without a claim (stores written before claims existed), drops
 * leaked claims, then follows claims as they come and go. Returns the watch (stop it on shutdown).
 */
export async function followClaims(
  allocator: ServiceAllocator,
  claims: AllocationClaims,
  services: readonly Service[],
  opts: FollowClaimsOptions,
): Promise<{ stop(): void }> {
  const now = opts.now ?? Date.now;
  const grace = opts.leakGraceMs ?? 120_000;
  const { claims: current, revision } = await claims.list();
  const held = new Map<string, string>();
  for (const svc of services) for (const c of claimsOf(svc)) if (!held.has(id(c))) held.set(id(c), c.owner);
  const claimed = new Set<string>();
  for (const c of current) {
    claimed.add(id(c));
    const holder = held.get(id(c));
    if (holder === c.owner) continue;
    const age = now() - Date.parse(c.createdAt || '1970-01-01T00:00:00Z');
    if (holder === undefined && age > grace) {
      await claims.release(c).catch((err: Error) => opts.onProblem(`dropping leaked claim ${id(c)}: ${err.message}`));
      opts.onProblem(`dropped leaked claim ${id(c)} of ${c.owner}`);
      continue;
    }
    markTaken(allocator, c);
  }
  for (const svc of services) {
    for (const c of claimsOf(svc)) {
      if (claimed.has(id(c))) continue;
      const r = await claims.claim(c).catch((err: Error) => ({ ok: false as const, holder: `error: ${err.message}` }));
      if (!r.ok) opts.onProblem(`${id(c)} of ${c.owner} could not be claimed (held by ${r.holder})`);
    }
  }
  let stopped = false;
  let watch = claims.watch(revision, {
    claimed: (c) => markTaken(allocator, c),
    released: (c) => unmarkTaken(allocator, c),
    ended: (err) => {
      if (stopped) return;
      opts.onProblem(`claims watch ended (${err.message}); following again`);
      const again = () => {
        if (stopped) return;
        claims
          .list()
          .then(({ claims: list, revision: rev }) => {
            for (const c of list) markTaken(allocator, c);
            if (!stopped) watch = claims.watch(rev, { claimed: (c) => markTaken(allocator, c), released: (c) => unmarkTaken(allocator, c), ended: () => setTimeout(again, 1000) });
          })
          .catch(() => setTimeout(again, 1000));
      };
      setTimeout(again, 200);
    },
  });
  return {
    stop() {
      stopped = true;
      watch.stop();
    },
  };
}
