/**
 * The `scale` (autoscaling/v1 Scale of Deployments and ReplicaSets), `binding` (assigns a Pod to
 * a Node) and `log` (proxied to the node agent) subresources.
 */
import https from 'node:https';
import { kubeletConnectError, kubeletRequestOptions, type KubeletClientCredential } from '../auth/kubelet-client.js';
import type { StoredObject } from '../store/store.js';
import { decodeObject, readBody } from './body.js';
import { ApiServerError, errors } from './errors.js';
import { metaOf } from './object-meta.js';
import { dryRunOf, parseWriteParams } from './query.js';
import { refOf } from './resource-registry.js';
import { sendJson } from './respond.js';
import type { RestContext } from './rest-context.js';
import { checkBodyIdentity, patched } from './rest-handlers.js';
import { successStatus } from './status.js';

const SCALE = { apiVersion: 'autoscaling/v1', kind: 'Scale' };

function selectorText(sel: unknown): string {
  const s = (sel ?? {}) as { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };
  const parts = Object.entries(s.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of s.matchExpressions ?? []) {
    const vals = `(${(e.values ?? []).join(',')})`;
    if (e.operator === 'In') parts.push(`${e.key} in ${vals}`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin ${vals}`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

/** The Scale view of a Deployment or ReplicaSet; its metadata mirrors the parent's. */
export function toScale(obj: StoredObject): StoredObject {
  const m = metaOf(obj);
  const spec = (obj.spec ?? {}) as { replicas?: number; selector?: unknown };
  const status = (obj.status ?? {}) as { replicas?: number };
  return {
    ...SCALE,
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: spec.replicas ?? 1 },
    status: { replicas: status.replicas ?? 0, selector: selectorText(spec.selector) },
  };
}

function replicasOf(scale: StoredObject): number {
  const r = (scale.spec as { replicas?: unknown } | undefined)?.replicas;
  if (typeof r !== 'number' || !Number.isInteger(r) || r < 0)
    throw errors.invalid('Scale', 'autoscaling', String(metaOf(scale).name ?? ''), [
      { reason: 'FieldValueInvalid', field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(r)}: must be greater than or equal to 0` },
    ]);
  return r;
}

export async function serveScale(ctx: RestContext): Promise<void> {
  const name = ctx.info.name!;
  const ns = ctx.info.namespace;
  switch (ctx.info.verb) {
    case 'get':
      return sendJson(ctx.res, 200, toScale(await ctx.registry.get(ctx.kind, ns, name)));
    case 'update':
    case 'patch': {
      const dryRun = dryRunOf(parseWriteParams(ctx.query).dryRun);
      const buf = await readBody(ctx.req);
      const contentType = ctx.req.headers['content-type'] ?? '';
      const put = ctx.info.verb === 'update' ? decodeObject(buf, contentType) : undefined;
      if (put) checkBodyIdentity(ctx.kind, put, { name, ...(ns !== undefined ? { namespace: ns } : {}) }, SCALE);
      const precondition = put ? metaOf(put).resourceVersion : undefined;
      const updated = await ctx.registry.update(
        ctx.kind,
        ns,
        name,
        (current) => {
          const scale = put ?? patched(ctx, 'Scale', toScale(current), buf.toString('utf8'), contentType);
          const spec = { ...((current.spec ?? {}) as Record<string, unknown>), replicas: replicasOf(scale) };
          return { ...current, spec };
        },
        { user: ctx.user, subresource: 'scale', ...(precondition ? { precondition } : {}), ...(dryRun ? { dryRun } : {}) },
      );
      return sendJson(ctx.res, 200, toScale(updated));
    }
    default:
      throw errors.methodNotAllowed(ctx.info.verb, `${ctx.kind.resource}/scale`);
  }
}

/** POST pods/<name>/binding, or POST bindings with the pod's name: sets spec.nodeName once. */
export async function serveBinding(ctx: RestContext, podName?: string): Promise<void> {
  if (ctx.info.verb !== 'create') throw errors.methodNotAllowed(ctx.info.verb, 'pods/binding');
  const dryRun = dryRunOf(parseWriteParams(ctx.query).dryRun);
  const body = decodeObject(await readBody(ctx.req), ctx.req.headers['content-type']);
  if (body.kind !== undefined && body.kind !== 'Binding') throw errors.badRequest(`the kind in the data (${String(body.kind)}) does not match the expected kind (Binding)`);
  const name = podName ?? String(metaOf(body).name ?? '');
  if (podName !== undefined && metaOf(body).name !== undefined && metaOf(body).name !== podName)
    throw errors.badRequest(`the name of the object (${String(metaOf(body).name)}) does not match the name on the URL (${podName})`);
  if (!name) throw errors.badRequest('metadata.name: the Binding must name the pod');
  const target = (body.target ?? {}) as { kind?: string; name?: string };
  if (!target.name)
    throw errors.invalid('Binding', '', name, [{ reason: 'FieldValueRequired', field: 'target.name', message: 'Required value' }]);
  if (target.kind && target.kind !== 'Node')
    throw errors.invalid('Binding', '', name, [{ reason: 'FieldValueNotSupported', field: 'target.kind', message: `Unsupported value: "${target.kind}": supported values: "Node"` }]);
  const pods = ctx.registry.model.kinds().find((k) => k.group === '' && k.resource === 'pods')!;
  await ctx.registry.update(
    pods,
    ctx.info.namespace,
    name,
    (pod) => {
      const spec = (pod.spec ?? {}) as { nodeName?: string };
      if (metaOf(pod).deletionTimestamp) throw errors.conflict(refOf(pods), name, 'pod is being deleted, cannot be assigned to a host');
      if (spec.nodeName) throw errors.conflict(refOf(pods), name, `pod ${name} is already assigned to node "${spec.nodeName}"`);
      return { ...pod, spec: { ...spec, nodeName: target.name } };
    },
    { user: ctx.user, subresource: 'binding', ...(dryRun ? { dryRun } : {}) },
  );
  sendJson(ctx.res, 201, successStatus(undefined, 201), 'application/json');
}

/** GET pods/<name>/log: proxied to the node agent's endpoint over HTTPS with the API server's kubelet-client certificate. */
export async function serveLog(ctx: RestContext, kubelet: KubeletClientCredential | undefined): Promise<void> {
  if (ctx.info.verb !== 'get') throw errors.methodNotAllowed(ctx.info.verb, 'pods/log');
  if (!kubelet) throw new ApiServerError('ServiceUnavailable', `logs of pod "${ctx.info.name}" are not available: this API server has no client certificate for node agents (it serves plain HTTP)`);
  const pod = await ctx.registry.get(ctx.kind, ctx.info.namespace, ctx.info.name!);
  const node = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
  if (!node) throw new ApiServerError('ServiceUnavailable', `logs of pod "${ctx.info.name}" are not available: the pod is not scheduled to a node`);
  const containers = ((pod.spec as { containers?: { name: string }[] }).containers ?? []).map((c) => c.name);
  const container = ctx.query.get('container') ?? (containers.length === 1 ? containers[0] : undefined);
  if (!container) throw errors.badRequest(`a container name must be specified for pod ${ctx.info.name}, choose one of: [${containers.join(' ')}]`);
  // The node agent serves the log file (kubelet's /containerLogs) on the node's InternalIP.
  const nodes = ctx.registry.model.kinds().find((k) => k.group === '' && k.resource === 'nodes')!;
  const n = (await ctx.registry.get(nodes, undefined, node)) as { status?: { addresses?: { type: string; address: string }[]; daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } } };
  const ip = n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
  if (!ip) throw new ApiServerError('ServiceUnavailable', `logs of pod "${ctx.info.name}" are not available: node "${node}" has no InternalIP`);
  const q = new URLSearchParams();
  for (const k of ['follow', 'tailLines', 'limitBytes']) {
    const v = ctx.query.get(k);
    if (v !== null) q.set(k, v);
  }
  const path = `/containerLogs/${encodeURIComponent(ctx.info.namespace ?? '')}/${encodeURIComponent(ctx.info.name!)}/${encodeURIComponent(container)}?${q}`;
  await new Promise<void>((resolve, reject) => {
    const up = https.get({ host: ip, port: n.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 10250, path, timeout: 10_000, ...kubeletRequestOptions(kubelet, node) }, (r) => {
      if ((r.statusCode ?? 500) >= 400) {
        let body = '';
        r.on('data', (c: Buffer) => (body += c.toString()));
        r.on('end', () => reject(r.statusCode === 404 ? errors.badRequest(body.trim()) : new ApiServerError('ServiceUnavailable', body.trim() || `node agent answered ${r.statusCode}`)));
        return;
      }
      up.setTimeout(0);
      ctx.res.writeHead(200, { 'content-type': 'text/plain' });
      r.pipe(ctx.res);
      r.on('end', resolve);
      r.on('error', resolve);
      ctx.res.on('close', () => {
        up.destroy();
        resolve();
      });
    });
    up.on('timeout', () => up.destroy(new Error('timed out')));
    up.on('error', (err) => reject(new ApiServerError('ServiceUnavailable', `logs of pod "${ctx.info.name}": ${kubeletConnectError(err, node, ip)}`)));
  });
}
