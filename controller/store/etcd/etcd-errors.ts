/**
 * How etcd and gRPC failures become coded StoreErrors (the table in ../errors.ts):
 *
 * | etcd / gRPC                                              | StoreError              |
 * |----------------------------------------------------------|-------------------------|
 * | `mvcc: required revision has been compacted`             | Expired (410)           |
 * | `mvcc: required revision is a future revision`           | TooLargeResourceVersion |
 * | `mvcc: database space exceeded` (NOSPACE alarm)          | StorageFull (507)       |
 * | request timeout (ours or etcd's), no leader, unavailable | Unavailable (503)       |
 * | anything else from the client                            | Unavailable (503)       |
 *
 * Every message is prefixed `etcd:` so a 503 says which backend failed.
 */
import { StoreError, type StoreErrorCode } from '../errors.js';

const RULES: { match: RegExp; code: StoreErrorCode }[] = [
  { match: /required revision has been compacted/i, code: 'Expired' },
  { match: /required revision is a future revision/i, code: 'TooLargeResourceVersion' },
  { match: /database space exceeded|NOSPACE/i, code: 'StorageFull' },
];

/** The StoreError for an error thrown by the etcd client (StoreErrors pass through). */
export function toStoreError(err: unknown, key?: string): StoreError {
  if (err instanceof StoreError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const rule = RULES.find((r) => r.match.test(message));
  return new StoreError(rule?.code ?? 'Unavailable', `etcd: ${message}`, key);
}

export const isCompactedMessage = (message: string): boolean => RULES[0]!.match.test(message);
