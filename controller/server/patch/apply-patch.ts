import { PatchError } from './errors.js';
import { jsonType, type JsonValue } from './json.js';
import { applyJsonPatch } from './json-patch.js';
import { applyMergePatch } from './json-merge-patch.js';
import { patchSchemaForKind } from './merge-keys.js';
import { applyStrategicMergePatch } from './strategic-merge-patch.js';

/** The PATCH Content-Types the API server accepts (server-side apply excluded for now). */
export const PATCH_CONTENT_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
] as const;
export type PatchContentType = (typeof PATCH_CONTENT_TYPES)[number];

/**
 * Applies a PATCH request body to the stored object of `kind`, choosing the algorithm by the
 * request's Content-Type (parameters such as `; charset=utf-8` are ignored). `body` is the parsed
 * JSON, or the raw bytes/text (parsed here; a syntax error is a 400). Returns a new object; the
 * caller validates it, checks name/namespace/resourceVersion, and stores it.
 *
 * Throws PatchError: UnsupportedPatchType (415, including `application/apply-patch+yaml`),
 * MalformedPatch (400), PatchNotApplicable (422).
 */
export const applyPatch = (kind: string, original: JsonValue, body: unknown, contentType: string): JsonValue => {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'application/apply-patch+yaml') {
    throw new PatchError('UnsupportedPatchType', 'server-side apply (application/apply-patch+yaml) is not supported yet; use client-side kubectl apply');
  }
  if (!(PATCH_CONTENT_TYPES as readonly string[]).includes(type)) {
    throw new PatchError('UnsupportedPatchType', `Content-Type ${JSON.stringify(contentType)} is not a patch type; use one of ${PATCH_CONTENT_TYPES.join(', ')}`);
  }
  const patch = parseBody(body);
  switch (type as PatchContentType) {
    case 'application/json-patch+json':
      return applyJsonPatch(original, patch);
    case 'application/merge-patch+json':
      if (patch !== null && typeof patch !== 'object') {
        throw new PatchError('MalformedPatch', `a merge patch must be a JSON object, got ${jsonType(patch)}`);
      }
      return applyMergePatch(original, patch);
    case 'application/strategic-merge-patch+json':
      return applyStrategicMergePatch(original, patch, patchSchemaForKind(kind));
  }
};

const parseBody = (body: unknown): JsonValue => {
  if (typeof body !== 'string' && !(body instanceof Uint8Array)) return body as JsonValue;
  const text = typeof body === 'string' ? body : new TextDecoder().decode(body);
  try {
    return JSON.parse(text) as JsonValue;
  } catch (err) {
    throw new PatchError('MalformedPatch', `the body is not valid JSON: ${(err as Error).message}`);
  }
};
