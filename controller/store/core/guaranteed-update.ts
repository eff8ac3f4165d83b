import { StoreError, isStoreError } from '../errors.js';
import type { Store, StoredObject } from '../store.js';

/**
 * The read-modify-write loop of `Store.guaranteedUpdate`, shared by every backend: read, let `fn`
 * change a private copy, write with the read revision as precondition, and start over on
 * `Conflict`. Backends differ only in their get and update.
 */
export async function retryUpdateOnConflict(
  store: Pick<Store, 'get' | 'update'>,
  key: string,
  fn: (current: StoredObject) => StoredObject | null | Promise<StoredObject | null>,
): Promise<StoredObject> {
  for (;;) {
    const cur = await store.get(key);
    if (!cur) throw new StoreError('NotFound', `${key} not found`, key);
    const expected = Number(cur.metadata?.resourceVersion);
    const next = await fn(structuredClone(cur));
    if (next === null) return cur;
    try {
      return await store.update(key, next, { expectedRevision: expected });
    } catch (err) {
      if (!isStoreError(err, 'Conflict')) throw err;
    }
  }
}
