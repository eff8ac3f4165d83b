/**
 * Service-account tokens: JWTs (RFC 7519) signed ES256 with the key in `<data-dir>/pki/sa.key`,
 * shaped as Kubernetes' bound tokens (`sub: system:serviceaccount:<ns>:<name>`, a `kubernetes.io`
 * claim naming the namespace, service account and the pod it is bound to). Verification accepts
 * only ES256 with our key id, checks issuer, audience, expiry and the subject's consistency, and
 * rejects anything oversized or malformed without throwing.
 */
import { createHash, createPublicKey, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import type { UserInfo } from '../server/identity.js';

export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
const MAX_TOKEN_BYTES = 8192;
const LEEWAY_S = 60;

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

const headerSchema = z.strictObject({ alg: z.literal('ES256'), kid: z.string(), typ: z.literal('JWT').optional() });
const nameRef = z.object({ name: z.string().min(1), uid: z.string().optional() });
const claimsSchema = z.object({
  iss: z.string(),
  sub: z.string(),
  aud: z.union([z.string(), z.array(z.string())]),
  exp: z.number().int(),
  iat: z.number().int(),
  nbf: z.number().int().optional(),
  jti: z.string().optional(),
  'kubernetes.io': z.object({
    namespace: z.string().min(1),
    serviceaccount: nameRef,
    pod: nameRef.optional(),
    node: nameRef.optional(),
  }),
});
export type ServiceAccountClaims = z.infer<typeof claimsSchema>;

/** Key id: base64url SHA-256 of the public key's SPKI, as Kubernetes derives it. */
export function keyId(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return b64url(createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest());
}

export interface TokenRequestSpec {
  namespace: string;
  serviceAccount: string;
  audiences?: string[];
  expirationSeconds?: number;
  pod?: { name: string; uid?: string };
  node?: { name: string; uid?: string };
}

/** Signs a token for a service account; defaults: the API audience, one hour. */
export function issueServiceAccountToken(key: KeyObject, spec: TokenRequestSpec, now = Date.now()): { token: string; expiresAt: Date } {
  const iat = Math.floor(now / 1000);
  const exp = iat + (spec.expirationSeconds ?? 3600);
  const claims: ServiceAccountClaims = {
    iss: SERVICE_ACCOUNT_ISSUER,
    sub: `system:serviceaccount:${spec.namespace}:${spec.serviceAccount}`,
    aud: spec.audiences?.length ? spec.audiences : [SERVICE_ACCOUNT_ISSUER],
    exp,
    iat,
    nbf: iat,
    jti: randomUUID(),
    'kubernetes.io': {
      namespace: spec.namespace,
      serviceaccount: { name: spec.serviceAccount },
      ...(spec.pod ? { pod: spec.pod } : {}),
      ...(spec.node ? { node: spec.node } : {}),
    },
  };
  const signingInput = `${b64url(JSON.stringify({ alg: 'ES256', kid: keyId(key), typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}`;
  const sig = sign('sha256', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' });
  return { token: `${signingInput}.${b64url(sig)}`, expiresAt: new Date(exp * 1000) };
}

/** True when `token` looks like a JWT (three base64url parts), so it is not a static token. */
export const looksLikeJwt = (token: string): boolean => /^[\w-]+\.[\w-]+\.[\w-]+$/.test(token);

const decodeJson = (part: string): unknown => {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
};

/**
 * The user of a valid token (`system:serviceaccount:<ns>:<name>` in `system:serviceaccounts` and
 * `system:serviceaccounts:<ns>`), or null for anything invalid, expired or not ours.
 */
export function verifyServiceAccountToken(key: KeyObject, token: string, now = Date.now()): (UserInfo & { claims: ServiceAccountClaims }) | null {
  if (token.length > MAX_TOKEN_BYTES || !looksLikeJwt(token)) return null;
  const [h, c, s] = token.split('.') as [string, string, string];
  const header = headerSchema.safeParse(decodeJson(h));
  if (!header.success || header.data.kid !== keyId(key)) return null;
  const sig = Buffer.from(s, 'base64url');
  if (sig.length !== 64) return null;
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  if (!verify('sha256', Buffer.from(`${h}.${c}`), { key: pub, dsaEncoding: 'ieee-p1363' }, sig)) return null;
  const parsed = claimsSchema.safeParse(decodeJson(c));
  if (!parsed.success) return null;
  const claims = parsed.data;
  const t = Math.floor(now / 1000);
  if (claims.iss !== SERVICE_ACCOUNT_ISSUER) return null;
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!aud.includes(SERVICE_ACCOUNT_ISSUER)) return null;
  if (claims.exp + LEEWAY_S < t || (claims.nbf ?? claims.iat) - LEEWAY_S > t) return null;
  const k = claims['kubernetes.io'];
  if (claims.sub !== `system:serviceaccount:${k.namespace}:${k.serviceaccount.name}`) return null;
  return {
    name: claims.sub,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${k.namespace}`, 'system:authenticated'],
    claims,
  };
}
