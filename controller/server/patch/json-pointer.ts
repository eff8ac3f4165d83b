import { PatchError } from './errors.js';

/**
 * RFC 6901 JSON pointer parsing: `""` is the whole document, otherwise `/`-separated tokens with
 * `~1` → `/` and `~0` → `~` (in that order, so `~01` means the literal `~1`).
 */
export const parsePointer = (pointer: string, what: string): string[] => {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) {
    throw new PatchError('MalformedPatch', `${what}: JSON pointer ${JSON.stringify(pointer)} must be empty or start with "/"`);
  }
  return pointer
    .slice(1)
    .split('/')
    .map((token) => {
      if (/~[^01]|~$/.test(token)) {
        throw new PatchError('MalformedPatch', `${what}: JSON pointer ${JSON.stringify(pointer)} has an invalid ~ escape`);
      }
      return token.replaceAll('~1', '/').replaceAll('~0', '~');
    });
};

/** An array index token: decimal digits without leading zeros (`-` is handled by callers). */
export const isArrayIndex = (token: string): boolean => /^(0|[1-9][0-9]*)$/.test(token);
