/**
 * The TokenRequest subresource, `POST /api/v1/namespaces/<ns>/serviceaccounts/<name>/token`, as
 * the kubelet uses it to get a pod's service-account token. Sextant stores no ServiceAccount
 * objects (every name is valid), so the guard here is who asks: an administrator for anything;
 * a node only for a pod bound to it that runs as that service account (`boundObjectRef`).
 */
import type { KeyObject } from 'node:crypto';
import type http from 'node:http';
import { z } from 'zod';
import { readBody, decodeObject } from '../server/body.js';
import { ApiServerError } from '../server/errors.js';
import type { UserInfo } from '../server/identity.js';
import type { ResourceRequest } from '../server/request-info.js';
import { sendJson } from '../server/respond.js';
import type { Store } from '../store/store.js';
import { nodeNameOf } from './roles.js';
import { issueServiceAccountToken } from './service-account-token.js';

const tokenRequestSchema = z.object({
  apiVersion: z.literal('authentication.k8s.io/v1', { message: 'must be authentication.k8s.io/v1' }).optional(),
  kind: z.literal('TokenRequest', { message: 'must be TokenRequest' }).optional(),
  spec: z
    .object({
      audiences: z.array(z.string()).optional(),
      expirationSeconds: z.number().int('must be an integer').min(600, 'must be at least 600').max(86400 * 2, 'must be at most 172800').optional(),
      boundObjectRef: z.object({ kind: z.literal('Pod', { message: 'only Pod is supported' }), apiVersion: z.string().optional(), name: z.string().min(1), uid: z.string().optional() }).optional(),
    })
    .default({}),
});

export const isTokenRequest = (info: ResourceRequest): boolean =>
  info.group === '' && info.resource === 'serviceaccounts' && info.subresource === 'token' && info.verb === 'create' && info.namespace !== undefined && info.name !== undefined;

export async function serveTokenRequest(req: http.IncomingMessage, res: http.ServerResponse, info: ResourceRequest, user: UserInfo, o: { key: KeyObject; store: Store }): Promise<void> {
  const parsed = tokenRequestSchema.safeParse(decodeObject(await readBody(req), req.headers['content-type']));
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new ApiServerError('BadRequest', `TokenRequest: ${i.path.join('.')}: ${i.message}`);
  }
  const spec = parsed.data.spec;
  const ns = info.namespace!;
  const sa = info.name!;
  let pod: { name: string; uid?: string } | undefined;
  let nodeName: string | undefined;
  if (spec.boundObjectRef) {
    const stored = (await o.store.get(`/core/pods/${ns}/${spec.boundObjectRef.name}`)) as { metadata?: { uid?: string }; spec?: { nodeName?: string; serviceAccountName?: string } } | null;
    if (!stored) throw new ApiServerError('NotFound', `pods "${spec.boundObjectRef.name}" not found`);
    if (spec.boundObjectRef.uid && stored.metadata?.uid !== spec.boundObjectRef.uid) throw new ApiServerError('Conflict', `the UID in the bound object reference (${spec.boundObjectRef.uid}) does not match the UID in record`);
    if ((stored.spec?.serviceAccountName ?? 'default') !== sa) throw new ApiServerError('BadRequest', `pod "${spec.boundObjectRef.name}" runs as service account "${stored.spec?.serviceAccountName ?? 'default'}", not "${sa}"`);
    pod = { name: spec.boundObjectRef.name, ...(stored.metadata?.uid ? { uid: stored.metadata.uid } : {}) };
    nodeName = stored.spec?.nodeName;
  }
  const node = nodeNameOf(user);
  if (node !== undefined && (!pod || nodeName !== node)) {
    throw new ApiServerError('Forbidden', `serviceaccounts "${sa}" is forbidden: node "${node}" may only request tokens for pods bound to it`);
  }
  const t = issueServiceAccountToken(o.key, {
    namespace: ns,
    serviceAccount: sa,
    ...(spec.audiences ? { audiences: spec.audiences } : {}),
    expirationSeconds: spec.expirationSeconds ?? 3600,
    ...(pod ? { pod } : {}),
    ...(nodeName ? { node: { name: nodeName } } : {}),
  });
  sendJson(res, 201, {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    metadata: { name: sa, namespace: ns, creationTimestamp: null },
    spec: { audiences: spec.audiences ?? [], expirationSeconds: spec.expirationSeconds ?? 3600, ...(spec.boundObjectRef ? { boundObjectRef: spec.boundObjectRef } : {}) },
    status: { token: t.token, expirationTimestamp: t.expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z') },
  });
}
