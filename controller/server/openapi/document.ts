import { createHash } from 'node:crypto';
import type { KindInfo } from '../../api/kinds.js';
import { buildComponents } from './components.js';
import { groupVersionPath } from './names.js';
import { kindPaths } from './paths.js';
import type { SchemaObject } from './schema-shape.js';

/** An OpenAPI 3.0 document of one group-version, as served at `/openapi/v3/<api/v1|apis/g/v>`. */
export interface OpenApiDocument {
  openapi: '3.0.0';
  info: { title: string; version: string };
  paths: Record<string, unknown>;
  components: { schemas: Record<string, SchemaObject> };
}

/** The `/openapi/v3` index: where each group-version document lives (hash = content version). */
export interface OpenApiRoot {
  paths: Record<string, { serverRelativeURL: string }>;
}

/**
 * The full OpenAPI 3.0 document of `group`/`version`: components generated from the kinds' zod
 * schemas and the REST paths of each kind. The PATCH operation of every `/{name}` path declares
 * the `fieldValidation` parameter and `x-kubernetes-group-version-kind`, which is what makes
 * kubectl send `?fieldValidation=Strict` (server-side validation) instead of fetching OpenAPI v2.
 */
export const buildGroupVersionDocument = (group: string, version: string, kinds: readonly KindInfo[]): OpenApiDocument => {
  const own = kinds.filter((k) => k.group === group && k.version === version);
  const paths: Record<string, unknown> = {};
  for (const k of own) Object.assign(paths, kindPaths(k));
  return {
    openapi: '3.0.0',
    info: { title: 'Sextant', version: 'v1.32.0' },
    paths: Object.fromEntries(Object.keys(paths).sort().map((p) => [p, paths[p]])),
    components: { schemas: buildComponents(own) },
  };
};

/** One served document: its bytes and the hash used in `?hash=` and as the ETag. */
export interface ServedDocument {
  readonly body: Buffer;
  readonly hash: string;
  /** Quoted, ready for the ETag header. */
  readonly etag: string;
  readonly contentType: 'application/json';
}

const serve = (doc: unknown): ServedDocument => {
  const body = Buffer.from(JSON.stringify(doc));
  const hash = createHash('sha512').update(body).digest('hex').toUpperCase().slice(0, 64);
  return { body, hash, etag: `"${hash}"`, contentType: 'application/json' };
};

const groupVersions = (kinds: readonly KindInfo[]) => {
  const seen = new Map<string, { group: string; version: string }>();
  for (const k of kinds) seen.set(groupVersionPath(k.group, k.version), { group: k.group, version: k.version });
  return seen;
};

/** The `/openapi/v3` index for `kinds`: `{paths: {"api/v1": {serverRelativeURL: "/openapi/v3/api/v1?hash=…"}}}`. */
export const buildOpenApiRoot = (kinds: readonly KindInfo[]): OpenApiRoot => {
  const paths: OpenApiRoot['paths'] = {};
  for (const [path, gv] of groupVersions(kinds)) {
    const { hash } = serve(buildGroupVersionDocument(gv.group, gv.version, kinds));
    paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${hash}` };
  }
  return { paths };
};

/** Everything the server serves under /openapi/v3, built once. */
export interface OpenApiV3Cache {
  /** The `/openapi/v3` index. */
  readonly root: ServedDocument;
  /** The document for `api/v1` or `apis/<group>/<version>` (no leading slash, no query). */
  document(path: string): ServedDocument | undefined;
  /** By request path: `/openapi/v3` → root, `/openapi/v3/apis/apps/v1` → that document. */
  lookup(urlPath: string): ServedDocument | undefined;
  readonly paths: readonly string[];
}

/**
 * Builds and serialises every OpenAPI v3 document once, so serving is a map lookup: answer
 * `/openapi/v3` with `root`, `/openapi/v3/<path>` with `document(path)`, send `etag` as ETag and
 * answer 304 to a matching If-None-Match. The `?hash=` query can be ignored (the content is
 * immutable for the life of the process) or used for long `Cache-Control` as Kubernetes does.
 */
export const createOpenApiV3Cache = (kinds: readonly KindInfo[]): OpenApiV3Cache => {
  const docs = new Map<string, ServedDocument>();
  const index: OpenApiRoot = { paths: {} };
  for (const [path, gv] of groupVersions(kinds)) {
    const served = serve(buildGroupVersionDocument(gv.group, gv.version, kinds));
    docs.set(path, served);
    index.paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${served.hash}` };
  }
  const root = serve(index);
  const document = (path: string) => docs.get(path.replace(/^\/+|\/+$/g, ''));
  const lookup = (urlPath: string) => {
    const rest = urlPath.split('?')[0]?.replace(/\/+$/, '') ?? '';
    if (rest === '/openapi/v3') return root;
    return rest.startsWith('/openapi/v3/') ? document(rest.slice('/openapi/v3/'.length)) : undefined;
  };
  return { root, document, lookup, paths: [...docs.keys()] };
};
