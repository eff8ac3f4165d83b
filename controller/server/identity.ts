/**
 * The authentication and authorization seam of the request pipeline. This issue serves plain
 * HTTP on loopback, so the default identity step names every caller `system:anonymous` with
 * the `system:masters` group, and the default authorizer allows everything. A TLS client
 * certificate or bearer-token authenticator, and an RBAC authorizer, replace these functions.
 */
import type http from 'node:http';
import type { RequestInfo } from './request-info.js';

export interface UserInfo {
  name: string;
  groups: string[];
}

/** Who is calling; returns null when the credentials are present but wrong (→ 401). */
export type Authenticator = (req: http.IncomingMessage) => UserInfo | null | Promise<UserInfo | null>;

/** Whether `user` may do what `info` describes; a string is the denial reason (→ 403). */
export type Authorizer = (user: UserInfo, info: RequestInfo) => true | string | Promise<true | string>;

export const anonymousAuthenticator: Authenticator = () => ({ name: 'system:anonymous', groups: ['system:masters'] });

export const allowAllAuthorizer: Authorizer = () => true;
