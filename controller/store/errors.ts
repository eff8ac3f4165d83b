/**
 * Store errors, coded so the API server maps them to Kubernetes Status responses.
 *
 * | code          | HTTP | when                                                         |
 * |---------------|------|--------------------------------------------------------------|
 * | NotFound      | 404  | get/update/delete of a key that does not exist               |
 * | AlreadyExists | 409  | create of a key that exists                                  |
 * | Conflict      | 409  | update/delete whose expected revision is not the stored one  |
 * | Expired       | 410  | watch or continue token older than the retained history      |
 * | BadRequest    | 400  | malformed key, continue token or resourceVersion             |
 * | TooLargeResourceVersion | 504 | list at a resourceVersion the store has not reached  |
 * | Unavailable   | 503  | the backend cannot serve (disk, etcd quorum, closed)         |
 * | StorageFull   | 507  | the backend has no space left                                |
 */
export type StoreErrorCode =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Expired'
  | 'BadRequest'
  | 'TooLargeResourceVersion'
  | 'Unavailable'
  | 'StorageFull';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    readonly key?: string,
  ) {
    super(`store: ${message}`);
    this.name = 'StoreError';
  }
}

export const isStoreError = (err: unknown, code?: StoreErrorCode): err is StoreError =>
  err instanceof StoreError && (code === undefined || err.code === code);
