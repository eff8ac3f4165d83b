/**
 * Coded errors of the API server. Every failure a handler raises is an `ApiServerError`, and
 * `status.ts` turns it into the Kubernetes `Status` body kubectl prints as
 * `Error from server (<reason>): <message>`.
 *
 * | code                  | HTTP | Status reason          | when                                                     |
 * |-----------------------|------|------------------------|----------------------------------------------------------|
 * | BadRequest            | 400  | BadRequest             | malformed body, kind/apiVersion/name/namespace mismatch, unknown field (Strict), bad selector |
 * | Unauthorized          | 401  | Unauthorized           | the authenticator rejected the credentials               |
 * | Forbidden             | 403  | Forbidden              | deleting a built-in namespace, creating in a terminating namespace |
 * | NotFound              | 404  | NotFound               | unknown object, namespace, resource or path              |
 * | MethodNotAllowed      | 405  | MethodNotAllowed       | a verb the resource or subresource does not support      |
 * | NotAcceptable         | 406  | NotAcceptable          | Accept asks only for a representation we cannot produce  |
 * | AlreadyExists         | 409  | AlreadyExists          | create of an existing name                               |
 * | Conflict              | 409  | Conflict               | resourceVersion or uid precondition failed               |
 * | Expired               | 410  | Expired                | resourceVersion or continue token older than the history |
 * | RequestEntityTooLarge | 413  | RequestEntityTooLarge  | body over the 3 MiB limit                                |
 * | UnsupportedMediaType  | 415  | UnsupportedMediaType   | unknown body or patch Content-Type (server-side apply)   |
 * | Invalid               | 422  | Invalid                | validation failed; `causes` name the fields              |
 * | InternalError         | 500  | InternalError          | a bug or an unexpected backend failure                   |
 * | ServiceUnavailable    | 503  | ServiceUnavailable     | store unavailable; pod logs until the node agent serves them |
 * | StorageFull           | 507  | InsufficientStorage    | the store has no space left                              |
 */
import { isStoreError } from '../store/errors.js';

export type ApiServerErrorCode =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Expired'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'Invalid'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'StorageFull';

const table: Record<ApiServerErrorCode, { http: number; reason: string }> = {
  BadRequest: { http: 400, reason: 'BadRequest' },
  Unauthorized: { http: 401, reason: 'Unauthorized' },
  Forbidden: { http: 403, reason: 'Forbidden' },
  NotFound: { http: 404, reason: 'NotFound' },
  MethodNotAllowed: { http: 405, reason: 'MethodNotAllowed' },
  NotAcceptable: { http: 406, reason: 'NotAcceptable' },
  AlreadyExists: { http: 409, reason: 'AlreadyExists' },
  Conflict: { http: 409, reason: 'Conflict' },
  Expired: { http: 410, reason: 'Expired' },
  RequestEntityTooLarge: { http: 413, reason: 'RequestEntityTooLarge' },
  UnsupportedMediaType: { http: 415, reason: 'UnsupportedMediaType' },
  Invalid: { http: 422, reason: 'Invalid' },
  InternalError: { http: 500, reason: 'InternalError' },
  ServiceUnavailable: { http: 503, reason: 'ServiceUnavailable' },
  StorageFull: { http: 507, reason: 'InsufficientStorage' },
};

/** One field problem of an `Invalid` (or strict-decoding) error, as Kubernetes reports it. */
export interface StatusCause {
  reason?: string;
  message: string;
  field?: string;
}

/** What the Status `details` names: the object the error is about. */
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export class ApiServerError extends Error {
  readonly http: number;
  readonly reason: string;
  constructor(
    readonly code: ApiServerErrorCode,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'ApiServerError';
    this.http = table[code].http;
    this.reason = table[code].reason;
  }
}

/** The resource a message talks about: `services`, `deployments.apps`. */
export interface ResourceRef {
  group: string;
  resource: string;
}

const qualified = (r: ResourceRef) => (r.group ? `${r.resource}.${r.group}` : r.resource);

/** Constructors for the errors handlers raise, with Kubernetes' exact wording. */
export const errors = {
  notFound: (r: ResourceRef, name: string) =>
    new ApiServerError('NotFound', `${qualified(r)} "${name}" not found`, { name, group: r.group, kind: r.resource }),
  alreadyExists: (r: ResourceRef, name: string) =>
    new ApiServerError('AlreadyExists', `${qualified(r)} "${name}" already exists`, { name, group: r.group, kind: r.resource }),
  conflict: (r: ResourceRef, name: string, why: string) =>
    new ApiServerError('Conflict', `Operation cannot be fulfilled on ${qualified(r)} "${name}": ${why}`, {
      name,
      group: r.group,
      kind: r.resource,
    }),
  invalid: (kind: string, group: string, name: string, causes: StatusCause[]) =>
    new ApiServerError(
      'Invalid',
      `${kind}${group ? `.${group}` : ''} "${name}" is invalid: ${causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join(', ')}`,
      { name, group, kind, causes },
    ),
  badRequest: (message: string, causes?: StatusCause[]) =>
    new ApiServerError('BadRequest', message, causes ? { causes } : undefined),
  expired: (message: string) => new ApiServerError('Expired', message),
  methodNotAllowed: (verb: string, what: string) =>
    new ApiServerError('MethodNotAllowed', `the server does not allow this method on the requested resource (${verb} ${what})`),
  pathNotFound: (path: string) => new ApiServerError('NotFound', `the server could not find the requested resource (${path})`),
};

/** Maps anything thrown inside a handler to an ApiServerError (store errors keep their meaning). */
export function toApiServerError(err: unknown, about?: { ref: ResourceRef; name?: string }): ApiServerError {
  if (err instanceof ApiServerError) return err;
  if (isStoreError(err)) {
    const name = about?.name ?? '';
    switch (err.code) {
      case 'NotFound':
        return about ? errors.notFound(about.ref, name) : new ApiServerError('NotFound', err.message);
      case 'AlreadyExists':
        return about ? errors.alreadyExists(about.ref, name) : new ApiServerError('AlreadyExists', err.message);
      case 'Conflict':
        return about
          ? errors.conflict(about.ref, name, 'the object has been modified; please apply your changes to the latest version and try again')
          : new ApiServerError('Conflict', err.message);
      case 'Expired':
        return errors.expired(`The provided continue parameter or resourceVersion is too old: ${err.message}`);
      case 'StorageFull':
        return new ApiServerError('StorageFull', err.message);
      case 'Unavailable':
        return new ApiServerError('ServiceUnavailable', err.message, { retryAfterSeconds: 1 });
    }
  }
  return new ApiServerError('InternalError', `Internal error occurred: ${err instanceof Error ? err.message : String(err)}`);
}
