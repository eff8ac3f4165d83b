import { StoreError } from '../errors.js';

/**
 * A list continuation: the revision the first page was read at and the last key returned. Encoded
 * as base64url JSON so it is opaque to clients but readable when debugging.
 */
export interface ContinueToken {
  revision: number;
  lastKey: string;
}

export function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify({ rv: t.revision, k: t.lastKey })).toString('base64url');
}

/** Throws `BadRequest` for anything `encodeContinue` did not produce. */
export function decodeContinue(token: string): ContinueToken {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const p = parsed as { rv?: unknown; k?: unknown } | undefined;
  if (!p || typeof p !== 'object' || !Number.isSafeInteger(p.rv) || (p.rv as number) < 0 || typeof p.k !== 'string') {
    throw new StoreError('BadRequest', `continue token ${JSON.stringify(token)}: not a token this store issued`);
  }
  return { revision: p.rv as number, lastKey: p.k };
}
