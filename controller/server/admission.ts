/**
 * The admission seam: hooks the server runs on every create, update and delete after
 * defaulting and validation and before the store write, with the old and the new object.
 * Allocators (ClusterIP, NodePort) plug in here: they may change `object` in place, reject the
 * request by throwing an ApiServerError, and return a `rollback` the server calls when the store
 * write then fails, so nothing stays allocated for an object that was never stored.
 */
import type { KindInfo } from '../api/kinds.js';
import type { StoredObject } from '../store/store.js';
import type { UserInfo } from './identity.js';

export type AdmissionOperation = 'CREATE' | 'UPDATE' | 'DELETE';

export interface AdmissionRequest {
  operation: AdmissionOperation;
  kind: KindInfo;
  /** Set for writes through a subresource (`status`, `scale`, `binding`). */
  subresource?: string;
  namespace?: string;
  name: string;
  /** The object about to be stored (absent on DELETE); hooks may mutate it. */
  object?: StoredObject;
  /** The stored object before the change (absent on CREATE). */
  oldObject?: StoredObject;
  user: UserInfo;
  /**
   * A dry run: nothing will be stored, and the server calls `rollback` right after admission.
   * Hooks that reserve something outside memory (shared allocation claims) should only check.
   */
  dryRun?: boolean;
}

export interface AdmissionOutcome {
  /** Undo what the hook did (release an allocation) when the write does not happen. */
  rollback?(): void | Promise<void>;
}

export interface AdmissionHook {
  name: string;
  admit(req: AdmissionRequest): void | AdmissionOutcome | Promise<void | AdmissionOutcome>;
}

/** Runs every hook in order; if one fails, rolls back those that already ran, then rethrows. */
export async function runAdmission(hooks: readonly AdmissionHook[], req: AdmissionRequest): Promise<() => Promise<void>> {
  const done: AdmissionOutcome[] = [];
  const rollback = async () => {
    for (const o of done.reverse()) await o.rollback?.();
  };
  try {
    for (const h of hooks) {
      const outcome = await h.admit(req);
      if (outcome) done.push(outcome);
    }
  } catch (err) {
    await rollback();
    throw err;
  }
  return rollback;
}
