/**
 * The API server's pluggable parts that live in sibling modules: kubectl's Table columns per
 * kind (table/) and the OpenAPI v3 documents (openapi/), built once from the kinds registry.
 */
import type { KindInfo } from '../api/kinds.js';
import type { OpenApiProvider } from './handler.js';
import { createOpenApiV3Cache } from './openapi/index.js';
import { kubectlTableConverter } from './table/index.js';
import type { TableConverter } from './table-output.js';

export function serverParts(kinds: readonly KindInfo[]): { table: TableConverter; openapi: OpenApiProvider } {
  const cache = createOpenApiV3Cache(kinds);
  return {
    table: kubectlTableConverter as unknown as TableConverter,
    openapi: (path) => cache.lookup(path),
  };
}
