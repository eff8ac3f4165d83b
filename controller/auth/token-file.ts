/**
 * Static bearer tokens from a CSV file in kube-apiserver's `--token-auth-file` format:
 * `token,user,uid,"group1,group2"` (groups optional; `#` comments and blank lines skipped). Tokens
 * are kept as SHA-256 digests, so a lookup compares digests rather than secrets byte by byte.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { UserInfo } from '../server/identity.js';
import { AuthError } from './errors.js';

export type TokenTable = Map<string, UserInfo & { uid: string }>;

export const tokenDigest = (token: string): string => createHash('sha256').update(token).digest('hex');

/** Splits one CSV line (double quotes group commas; `""` is a literal quote). */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (quoted) throw new Error('unterminated quote');
  out.push(cur);
  return out.map((f) => f.trim());
}

/** Parses token file text; errors name the line and the field. */
export function parseTokenFile(text: string, source = 'token file'): TokenTable {
  const table: TokenTable = new Map();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const at = `${source}:${i + 1}`;
    let f: string[];
    try {
      f = splitCsvLine(line);
    } catch (err) {
      throw new AuthError('AUTH_TOKEN_FILE', `${at}: ${(err as Error).message}`);
    }
    const [token, user, uid, groups] = f;
    if (!token) throw new AuthError('AUTH_TOKEN_FILE', `${at}: token: must not be empty`);
    if (token.length < 16) throw new AuthError('AUTH_TOKEN_FILE', `${at}: token: must be at least 16 characters`);
    if (!user) throw new AuthError('AUTH_TOKEN_FILE', `${at}: user: must not be empty`);
    if (uid === undefined || uid === '') throw new AuthError('AUTH_TOKEN_FILE', `${at}: uid: must not be empty`);
    if (f.length > 4) throw new AuthError('AUTH_TOKEN_FILE', `${at}: too many fields (quote the group list)`);
    const d = tokenDigest(token);
    if (table.has(d)) throw new AuthError('AUTH_TOKEN_FILE', `${at}: token: duplicate`);
    table.set(d, { name: user, uid, groups: [...(groups ? groups.split(',').map((g) => g.trim()).filter(Boolean) : []), 'system:authenticated'] });
  });
  return table;
}

export function loadTokenFile(path: string): TokenTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new AuthError('AUTH_TOKEN_FILE', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  return parseTokenFile(text, path);
}
