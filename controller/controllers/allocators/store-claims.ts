/**
 * The shared allocation backend for several API servers on one store (etcd): every ClusterIP
 * and NodePort a Service holds is also a claim object `/sextant/allocations/<kind>/<value>`
 * created with the store's create-only write (an etcd `create_revision == 0` transaction). The
 * in-memory bitmaps stay the fast path for choosing a value; the claim is the arbiter — a value
 * another server claimed first is lost, marked taken locally and the choice is retried. A watch
 * on the claims keeps each server's bitmap close to the others', so retries are rare.
 *
 * Claims whose Service never got stored (a server died between claim and write) are removed by
 * `repair` once older than a grace period.
 */
import type { Store, StoredObject, Watch } from '../../store/store.js';
import { isStoreError } from '../../store/errors.js';

export type ClaimKind = 'clusterips' | 'nodeports';

export interface Claim {
  kind: ClaimKind;
  value: string;
  owner: string;
}

/** Where claims live; pluggable so one-server stores can skip it (no claims: the bitmap alone). */
export interface AllocationClaims {
  /** True when `owner` now holds `value` (also when it already did); false when another owner does. */
  claim(c: Claim): Promise<{ ok: true } | { ok: false; holder: string }>;
  /** Who holds `value` now, or undefined when nobody does; a read only (dry runs check with it). */
  holder(c: { kind: ClaimKind; value: string }): Promise<string | undefined>;
  /** Drops `owner`'s claim on `value` (no-op when someone else holds it or nobody does). */
  release(c: Claim): Promise<void>;
  /** Every current claim, with the revision it was read at. */
  list(): Promise<{ claims: (Claim & { createdAt: string })[]; revision: number }>;
  /** Follows claims made and dropped (by any server) after `revision`. */
  watch(revision: number, on: { claimed(c: Claim): void; released(c: Claim): void; ended(err: Error): void }): Watch;
}

const PREFIX = '/sextant/allocations/';
const keyOf = (c: { kind: ClaimKind; value: string }) => `${PREFIX}${c.kind}/${c.value}`;

function parse(obj: StoredObject): (Claim & { createdAt: string }) | undefined {
  const o = obj as { kind?: unknown; value?: unknown; owner?: unknown; createdAt?: unknown };
  if ((o.kind !== 'clusterips' && o.kind !== 'nodeports') || typeof o.value !== 'string' || typeof o.owner !== 'string') return undefined;
  return { kind: o.kind, value: o.value, owner: o.owner, createdAt: typeof o.createdAt === 'string' ? o.createdAt : '' };
}

/** Claims as objects in `store` (create-only writes make them exact across servers). */
export function storeClaims(store: Store, now: () => Date = () => new Date()): AllocationClaims {
  return {
    async claim(c) {
      try {
        await store.create(keyOf(c), { kind: c.kind, value: c.value, owner: c.owner, createdAt: now().toISOString() });
        return { ok: true };
      } catch (err) {
        if (!isStoreError(err, 'AlreadyExists')) throw err;
      }
      const cur = await store.get(keyOf(c));
      const holder = cur ? parse(cur)?.owner : undefined;
      if (holder === c.owner) return { ok: true };
      if (holder === undefined) return this.claim(c); // released meanwhile: try again
      return { ok: false, holder };
    },
    async holder(c) {
      const cur = await store.get(keyOf(c));
      return cur ? parse(cur)?.owner : undefined;
    },
    async release(c) {
      const cur = await store.get(keyOf(c));
      if (!cur || parse(cur)?.owner !== c.owner) return;
      try {
        await store.delete(keyOf(c), { expectedRevision: Number(cur.metadata?.resourceVersion) });
      } catch (err) {
        if (!isStoreError(err, 'NotFound') && !isStoreError(err, 'Conflict')) throw err;
      }
    },
    async list() {
      const claims: (Claim & { createdAt: string })[] = [];
      let token: string | undefined;
      let revision = 0;
      do {
        const page = await store.list(PREFIX, { limit: 1000, ...(token ? { continue: token } : {}) });
        revision ||= page.revision;
        for (const o of page.items) {
          const c = parse(o);
          if (c) claims.push(c);
        }
        token = page.continue;
      } while (token);
      return { claims, revision };
    },
    watch(revision, on) {
      return store.watch(PREFIX, {
        fromRevision: revision,
        onEvent: (e) => {
          const c = parse(e.object);
          if (!c) return;
          if (e.type === 'DELETED') on.released(c);
          else on.claimed(c);
        },
        onError: (err) => on.ended(err),
      });
    },
  };
}
