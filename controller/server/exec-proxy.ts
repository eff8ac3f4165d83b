/**
 * `pods/<name>/exec` on the API server: the upgrade request kubectl sends (WebSocket,
 * `v5.channel.k8s.io`) is authenticated, authorized as `create` on `pods/exec` (as Kubernetes
 * does for exec over either protocol), checked against the pod (scheduled, container valid), and
 * then forwarded to the node agent of the pod's node over the agents' mTLS endpoint with the API
 * server's kubelet-client certificate, the bytes piped both ways from then on — as
 * kube-apiserver's upgrade-aware proxy does. The agent speaks the WebSocket protocol itself
 * (node/exec-server.ts). SPDY (kubectl's fallback) is answered with a Status, never proxied.
 */
import { STATUS_CODES } from 'node:http';
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import type { Logger } from '../../daemon/logger.js';
import { kubeletConnectError, kubeletTlsOptions, type KubeletClientCredential } from '../auth/kubelet-client.js';
import { ApiServerError, errors, toApiServerError } from './errors.js';
import { anonymousAuthenticator, allowAllAuthorizer, type Authenticator, type Authorizer } from './identity.js';
import { requestTarget } from './request-info.js';
import type { ResourceRegistry } from './resource-registry.js';
import type { ServerMetrics } from './metrics.js';
import { failureStatus } from './status.js';

export interface ExecProxyOptions {
  registry: ResourceRegistry;
  log: Pick<Logger, 'warn'>;
  authenticate?: Authenticator | undefined;
  authorize?: Authorizer | undefined;
  kubeletClient?: KubeletClientCredential | undefined;
  /**
   * Counted as a watch is: apiserver_request_total (the agent's answer, 101 for a session, or the
   * server's refusal) and the set-up latency, verb CONNECT, resource pods/exec; while the
   * connection to the agent is open, apiserver_longrunning_requests.
   */
  metrics?: Pick<ServerMetrics, 'requests' | 'latency' | 'longRunning'> | undefined;
}

/** Handler of the listener's `upgrade` event. */
export type UpgradeListener = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void;

/** Answers an upgrade request with `code` and a JSON body, and closes the connection. */
export function writeUpgradeAnswer(socket: Duplex, code: number, body: object, headers: Record<string, string> = {}): void {
  if (socket.destroyed) return;
  const text = JSON.stringify(body);
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.end(`HTTP/1.1 ${code} ${STATUS_CODES[code] ?? ''}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nCache-Control: no-cache, private\r\n${extra}Connection: close\r\n\r\n${text}`);
}

/** Answers an upgrade request with a Status (JSON) and closes the connection. */
export function answerUpgrade(socket: Duplex, err: ApiServerError): void {
  writeUpgradeAnswer(socket, err.http, failureStatus(err));
}

/** Headers of the client's upgrade request the agent needs (the WebSocket handshake). */
const FORWARDED = ['upgrade', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-protocol'] as const;

export function createExecProxy(o: ExecProxyOptions): UpgradeListener {
  const authenticate = o.authenticate ?? anonymousAuthenticator;
  const authorize = o.authorize ?? allowAllAuthorizer;
  const kind = (resource: string) => o.registry.model.kinds().find((k) => k.group === '' && k.resource === resource)!;

  /** The agent's address, port and path for the request, after every check the server can make. */
  async function resolve(req: http.IncomingMessage): Promise<{ unsupported?: ApiServerError; node: string; host: string; port: number; path: string }> {
    const { url, info } = requestTarget(req);
    if (info.kind !== 'resource' || info.group !== '' || info.resource !== 'pods' || info.subresource !== 'exec' || !info.name || !info.namespace) throw errors.pathNotFound(url.pathname);
    const user = await authenticate(req);
    if (!user) throw new ApiServerError('Unauthorized', 'Unauthorized');
    const verdict = await authorize(user, { ...info, verb: 'create' });
    if (verdict !== true) throw new ApiServerError('Forbidden', verdict);
    if (!o.kubeletClient) throw new ApiServerError('ServiceUnavailable', `exec in pod "${info.name}" is not available: this API server has no client certificate for node agents (it serves plain HTTP)`);
    const command = url.searchParams.getAll('command');
    if (command.length === 0 || command[0] === '') throw errors.badRequest('you must specify at least one command for the container');
    const pod = await o.registry.get(kind('pods'), info.namespace, info.name);
    const spec = (pod.spec ?? {}) as { nodeName?: string; containers?: { name: string }[] };
    if (!spec.nodeName) throw errors.badRequest(`pod ${info.name} does not have a host assigned`);
    const names = (spec.containers ?? []).map((c) => c.name);
    const container = url.searchParams.get('container') ?? (names.length === 1 ? names[0] : undefined);
    if (!container) throw errors.badRequest(`a container name must be specified for pod ${info.name}, choose one of: [${names.join(' ')}]`);
    if (!names.includes(container)) throw errors.badRequest(`container ${container} is not valid for pod ${info.name}`);
    const n = (await o.registry.get(kind('nodes'), undefined, spec.nodeName)) as { status?: { addresses?: { type: string; address: string }[]; daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } } };
    const host = n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    if (!host) throw new ApiServerError('ServiceUnavailable', `exec in pod "${info.name}" is not available: node "${spec.nodeName}" has no InternalIP`);
    const q = new URLSearchParams();
    for (const c of command) q.append('command', c);
    for (const k of ['stdin', 'stdout', 'stderr', 'tty']) {
      const v = url.searchParams.get(k);
      if (v !== null) q.set(k, v);
    }
    const enc = encodeURIComponent;
    // kubectl falls back to SPDY after any failed WebSocket upgrade and prints the fallback's error:
    // a SPDY request still gets every check, the agent's connection included, before it is refused
    const unsupported = req.headers.upgrade?.toLowerCase() === 'websocket' ? undefined : errors.badRequest(`exec over ${req.headers.upgrade ?? 'a plain request'} is not supported: use WebSocket (v5.channel.k8s.io, kubectl 1.30 or later)`);
    return { ...(unsupported ? { unsupported } : {}), node: spec.nodeName, host, port: n.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 10250, path: `/exec/${enc(info.namespace)}/${enc(info.name)}/${enc(container)}?${q}` };
  }

  const labels = { verb: 'CONNECT', resource: 'pods/exec' } as const;
  /** Records the outcome once: 101 when the session is piped to the agent, else the answer's code. */
  const outcome = (started: bigint) => {
    let done = false;
    return (code: number) => {
      if (done || !o.metrics) return;
      done = true;
      o.metrics.requests.inc({ ...labels, code: String(code) });
      o.metrics.latency.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    };
  };

  return (req, socket, head) => {
    const record = outcome(process.hrtime.bigint());
    socket.on('error', () => socket.destroy());
    resolve(req).then(
      (to) => {
        const up = tls.connect({ host: to.host, port: to.port, ...kubeletTlsOptions(o.kubeletClient!, to.node) });
        let piped = false;
        up.setTimeout(10_000, () => up.destroy(new Error('timed out')));
        up.on('error', (err) => {
          if (!piped) {
            record(503);
            answerUpgrade(socket, new ApiServerError('ServiceUnavailable', `exec in pod: ${kubeletConnectError(err, to.node, `${to.host}:${to.port}`)}`));
          } else socket.destroy();
        });
        up.on('secureConnect', () => {
          up.setTimeout(0);
          if (to.unsupported) {
            up.destroy();
            record(to.unsupported.http);
            answerUpgrade(socket, to.unsupported);
            return;
          }
          const lines = [`GET ${to.path} HTTP/1.1`, `Host: ${to.host.includes(':') ? `[${to.host}]` : to.host}:${to.port}`, 'Connection: Upgrade'];
          for (const h of FORWARDED) {
            const v = req.headers[h];
            if (typeof v === 'string') lines.push(`${h}: ${v}`);
          }
          up.write(`${lines.join('\r\n')}\r\n\r\n`);
          if (head.length > 0) up.write(head);
          piped = true;
          // the agent's answer decides the code counted: 101 for a session, its error otherwise
          up.once('data', (chunk: Buffer) => record(Number(/^HTTP\/1\.[01] (\d{3})/.exec(chunk.toString('latin1', 0, 16))?.[1] ?? 502)));
          o.metrics?.longRunning.inc(labels);
          up.pipe(socket);
          socket.pipe(up);
          socket.once('close', () => {
            o.metrics?.longRunning.dec(labels);
            up.destroy();
          });
        });
      },
      (err: unknown) => {
        const e = toApiServerError(err);
        record(e.http);
        if (e.code === 'InternalError') o.log.warn('exec request failed', { url: req.url, error: err instanceof Error ? err.message : String(err) });
        answerUpgrade(socket, e);
      },
    );
  };
}
