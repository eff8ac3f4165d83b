/**
 * The protective layer in front of the API handler, installed through the listener seam: it
 * authenticates once per request (the handler's identity step reads the result), caps the
 * long-running requests each user holds — watches and exec sessions (the listener's upgrade
 * requests), one allowance — (429), bounds the time of every other request (504), and serves the
 * TokenRequest subresource. Authorization and 401/403 answers stay in the handler's pipeline.
 */
import type { KeyObject } from 'node:crypto';
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { ApiServerError, toApiServerError } from '../server/errors.js';
import type { Authenticator, Authorizer, UserInfo } from '../server/identity.js';
import { requestTarget } from '../server/request-info.js';
import { sendError, sendJson } from '../server/respond.js';
import { answerUpgrade, writeUpgradeAnswer, type UpgradeListener } from '../server/exec-proxy.js';
import type { Store } from '../store/store.js';
import { isTokenRequest, serveTokenRequest } from './token-request.js';

export interface GuardOptions {
  authenticate: Authenticator;
  authorize: Authorizer;
  /** Concurrent long-running requests (watch streams and exec sessions) one user may hold (default 100). */
  maxWatchesPerUser?: number;
  /** Non-watch requests answer 504 after this (default 60 s, kube-apiserver's --request-timeout). */
  requestTimeoutMs?: number;
  /** Enables the TokenRequest subresource. */
  tokens?: { key: KeyObject; store: Store };
}

export interface Guard {
  /** Wraps the API handler. */
  wrap(inner: http.RequestListener): http.RequestListener;
  /** Wraps the listener's `upgrade` handler (pods/exec): its sessions count as the user's long-running requests. */
  wrapUpgrade(inner: UpgradeListener): UpgradeListener;
  /** The identity step for the handler: the user the guard authenticated. */
  authenticate: Authenticator;
  openWatches(user: string): number;
}

const statusBody = (code: number, reason: string, message: string) => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });

const TIMER = Symbol('sextant.guard.timer');
type TimedResponse = http.ServerResponse & { [TIMER]?: NodeJS.Timeout };

/** The request timer ends with its response ('close'); `this` is the response. */
function clearRequestTimer(this: TimedResponse): void {
  clearTimeout(this[TIMER]);
}

export function createGuard(o: GuardOptions): Guard {
  // The user authenticated for a request, carried on the request under a symbol of this guard
  // (cheaper than a WeakMap entry per request).
  const IDENTITY = Symbol('sextant.guard.identity');
  type Carrier = http.IncomingMessage & { [IDENTITY]?: UserInfo | null };
  const watches = new Map<string, number>();
  const maxWatches = o.maxWatchesPerUser ?? 100;
  const timeoutMs = o.requestTimeoutMs ?? 60_000;

  /** Takes one of `user`'s long-running slots until `until` closes; false when none is free. */
  const hold = (user: string, until: { once(event: 'close', f: () => void): unknown }): boolean => {
    const n = watches.get(user) ?? 0;
    if (n >= maxWatches) return false;
    watches.set(user, n + 1);
    until.once('close', () => {
      const left = (watches.get(user) ?? 1) - 1;
      if (left <= 0) watches.delete(user);
      else watches.set(user, left);
    });
    return true;
  };

  /** Upgrade requests (exec) of an authenticated user hold a slot while their connection lives. */
  const wrapUpgrade = (inner: UpgradeListener): UpgradeListener => (req, socket: Duplex, head) => {
    socket.on('error', () => socket.destroy());
    void (async () => {
      const user = await o.authenticate(req);
      (req as Carrier)[IDENTITY] = user;
      if (user && !hold(user.name, socket)) {
        writeUpgradeAnswer(socket, 429, statusBody(429, 'TooManyRequests', `too many concurrent exec sessions and watches for user "${user.name}" (limit ${maxWatches})`), { 'Retry-After': '1' });
        return;
      }
      inner(req, socket, head);
    })().catch((err: unknown) => answerUpgrade(socket, toApiServerError(err)));
  };

  /** A non-watch request past its time: 504, or a cut connection once the answer has begun. */
  const timedOut = (res: http.ServerResponse): void => {
    if (res.writableEnded) return;
    if (!res.headersSent) sendJson(res, 504, statusBody(504, 'Timeout', `the request did not complete within ${Math.round(timeoutMs / 1000)}s`));
    else res.destroy();
  };

  // One function per request, not an async closure, a timer closure and a 'close' closure each.
  async function guarded(inner: http.RequestListener, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    try {
      const who = o.authenticate(req);
      const user = who instanceof Promise ? await who : who;
      (req as Carrier)[IDENTITY] = user;
      let info;
      try {
        info = requestTarget(req).info;
      } catch {
        info = undefined;
      }
      if (user && info?.kind === 'resource' && o.tokens && isTokenRequest(info)) {
        const verdict = await o.authorize(user, info);
        if (verdict !== true) throw new ApiServerError('Forbidden', verdict);
        return await serveTokenRequest(req, res, info, user, o.tokens);
      }
      if (user && info?.kind === 'resource' && info.verb === 'watch') {
        if (!hold(user.name, res)) {
          sendJson(res, 429, statusBody(429, 'TooManyRequests', `too many concurrent watches for user "${user.name}" (limit ${maxWatches})`), 'application/json', { 'Retry-After': '1' });
          return;
        }
        return inner(req, res);
      }
      const timer = setTimeout(timedOut, timeoutMs, res);
      timer.unref();
      (res as TimedResponse)[TIMER] = timer;
      res.on('close', clearRequestTimer);
      return inner(req, res);
    } catch (err) {
      sendError(res, toApiServerError(err));
    }
  }

  const wrap = (inner: http.RequestListener): http.RequestListener => (req, res) => {
    void guarded(inner, req, res);
  };

  return {
    wrap,
    wrapUpgrade,
    authenticate: (req) => (IDENTITY in req ? (req as Carrier)[IDENTITY]! : o.authenticate(req)),
    openWatches: (user) => watches.get(user) ?? 0,
  };
}
