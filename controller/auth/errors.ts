/**
 * Coded errors of the auth role (CA and certificates, authenticators, authorizer, credentials).
 *
 * | code                 | when                                                                 |
 * |----------------------|----------------------------------------------------------------------|
 * | AUTH_PKI             | the CA, a key or a certificate in the data dir is unreadable or bad  |
 * | AUTH_TOKEN_FILE      | a line of the static token file is malformed (names the line/field)  |
 * | AUTH_INSECURE_LISTEN | `--insecure-http` asked for on an address that is not loopback       |
 * | AUTH_JWT             | a service-account token could not be issued                          |
 *
 * Requests with bad credentials are not errors of this table: they become 401/403 Status answers.
 */
export type AuthErrorCode = 'AUTH_PKI' | 'AUTH_TOKEN_FILE' | 'AUTH_INSECURE_LISTEN' | 'AUTH_JWT';

export class AuthError extends Error {
  constructor(readonly code: AuthErrorCode, message: string, options?: { cause?: unknown }) {
    super(`auth: ${message}`, options);
    this.name = 'AuthError';
  }
}
