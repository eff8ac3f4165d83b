/**
 * OpenAPI v3 for kubectl (`explain`, default `--validate=strict` on apply/create), generated from
 * controller/api's zod schemas. Serve with `createOpenApiV3Cache(allKinds())`. See README.md.
 */
export {
  buildGroupVersionDocument, buildOpenApiRoot, createOpenApiV3Cache,
  type OpenApiDocument, type OpenApiRoot, type OpenApiV3Cache, type ServedDocument,
} from './document.js';
export { componentName, groupVersionPath } from './names.js';
