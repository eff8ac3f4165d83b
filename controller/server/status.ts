/**
 * The one place Kubernetes `Status` objects are built: failures from ApiServerError, and the
 * `Success` Status some verbs answer (delete, binding). kubectl reads `reason`, `message`,
 * `details.causes` and `code` from these.
 */
import type { ApiServerError, StatusDetails } from './errors.js';

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

export function failureStatus(err: ApiServerError): StatusBody {
  const body: StatusBody = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: err.message,
    reason: err.reason,
    code: err.http,
  };
  if (err.details) body.details = err.details;
  return body;
}

export function successStatus(details?: StatusDetails, code = 200): StatusBody {
  const body: StatusBody = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code };
  if (details) body.details = details;
  return body;
}
