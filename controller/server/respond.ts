/** Writing answers: JSON bodies and Status errors, with the headers Kubernetes clients expect. */
import type http from 'node:http';
import { ApiServerError } from './errors.js';
import { failureStatus } from './status.js';

export function sendJson(res: http.ServerResponse, code: number, body: unknown, contentType = 'application/json', extraHeaders: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
    ...extraHeaders,
  });
  res.end(text);
}

export function sendError(res: http.ServerResponse, err: ApiServerError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const extra: Record<string, string> = {};
  if (err.details?.retryAfterSeconds) extra['Retry-After'] = String(err.details.retryAfterSeconds);
  sendJson(res, err.http, failureStatus(err), 'application/json', extra);
}
