/**
 * PATCH support for the API server: the three Kubernetes patch types as pure functions, and the
 * strategic-merge metadata table shared with the OpenAPI documents.
 */
export { applyPatch, PATCH_CONTENT_TYPES, type PatchContentType } from './apply-patch.js';
export { applyMergePatch } from './json-merge-patch.js';
export { applyJsonPatch, parseJsonPatch, type JsonPatchOperation } from './json-patch.js';
export { applyStrategicMergePatch } from './strategic-merge-patch.js';
export { MERGE_KEYS, patchFieldsForKind, patchSchemaForKind, type FieldPatchMeta, type PatchSchema, type PatchStrategy } from './merge-keys.js';
export { PatchError, isPatchError, type PatchErrorCode } from './errors.js';
export type { JsonObject, JsonValue } from './json.js';
