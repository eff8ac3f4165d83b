/**
 * The pluggable parts of the API server that live in sibling modules: Table printing
 * (table/) and OpenAPI documents (openapi/). Loaded here so api-server.ts stays independent of
 * them and a missing module degrades to NAME/AGE tables and a 404 for /openapi/v3.
 */
import type { OpenApiProvider } from './handler.js';
import type { TableConverter } from './table-output.js';

export async function serverParts(): Promise<{ table?: TableConverter; openapi?: OpenApiProvider }> {
  return {};
}
