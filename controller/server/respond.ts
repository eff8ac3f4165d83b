/** Writing answers: JSON bodies and Status errors, with the headers Kubernetes clients expect. */
import type http from 'node:http';
import { storedJson } from '../store/core/serialized.js';
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

/**
 * Sends an object the registry got back from the store just now (create, update): with the
 * text the store wrote when it has it, else serialised here.
 */
export function sendStoredObject(res: http.ServerResponse, code: number, obj: object): void {
  const text = storedJson(obj) ?? JSON.stringify(obj);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private' });
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
