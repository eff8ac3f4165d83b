/**
 * Errors of controller/api.
 *
 * | class / code            | thrown by                                   | meaning                                        |
 * |-------------------------|---------------------------------------------|------------------------------------------------|
 * | SelectorError `LabelSelector` | parseLabelSelector, labelSelectorFromObject | the label selector text/object is malformed |
 * | SelectorError `FieldSelector` | parseFieldSelector                    | the field selector is malformed or unsupported |
 * | KubeconfigError         | loadKubeconfig, ApiClient.fromKubeconfig    | kubeconfig missing, unreadable or incomplete   |
 * | ApiError                | ApiClient                                   | the server answered a Status (code, reason, causes) or the request failed (code 0) |
 * | UnknownKindError        | defaultObject, validateObject, findUnknownFields | the kind is not in KINDS                 |
 */
import type { StatusCause } from './status.js';

export type SelectorErrorCode = 'LabelSelector' | 'FieldSelector';

export class SelectorError extends Error {
  constructor(
    readonly code: SelectorErrorCode,
    message: string,
  ) {
    super(`api: ${code === 'LabelSelector' ? 'label' : 'field'} selector: ${message}`);
    this.name = 'SelectorError';
  }
}

export class KubeconfigError extends Error {
  constructor(message: string) {
    super(`api: kubeconfig: ${message}`);
    this.name = 'KubeconfigError';
  }
}

export class UnknownKindError extends Error {
  constructor(readonly kind: string) {
    super(`api: unknown kind ${JSON.stringify(kind)}`);
    this.name = 'UnknownKindError';
  }
}

/**
 * A failed API call. `code` is the HTTP status (0 when no response arrived), `reason` the
 * Kubernetes StatusReason (`NotFound`, `Conflict`, `Expired`, ...), `causes` the field errors.
 */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly causes: StatusCause[] = [],
    readonly status?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const isApiError = (err: unknown, reason?: string): err is ApiError =>
  err instanceof ApiError && (reason === undefined || err.reason === reason);
