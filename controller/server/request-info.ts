/**
 * Turns a request path and method into what it asks for (the verb, group, version, resource,
 * namespace, name, subresource), as the Kubernetes request-info resolver does. Pure: no I/O.
 */
export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

export interface ResourceRequest {
  kind: 'resource';
  verb: Verb;
  group: string;
  version: string;
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

export type RequestInfo =
  | ResourceRequest
  | { kind: 'discovery-root'; root: 'api' | 'apis' }
  | { kind: 'discovery-group'; group: string }
  | { kind: 'discovery-version'; group: string; version: string }
  | { kind: 'other'; path: string };

/** The parts of a request URL the server reads. */
export interface RequestUrl {
  pathname: string;
  searchParams: URLSearchParams;
}

/** A request's target: the parsed URL and what it asks for. */
export interface RequestTarget {
  url: RequestUrl;
  info: RequestInfo;
}

/**
 * Where a request carries its worked-out target: a property under a private symbol (cheaper than
 * a WeakMap entry per request, which also costs the garbage collector an ephemeron per request).
 */
const TARGET = Symbol('sextant.requestTarget');
type TargetCarrier = { method?: string | undefined; url?: string | undefined; [TARGET]?: RequestTarget };

/**
 * A path the WHATWG URL parser gives back unchanged: no query, fragment, percent-escape,
 * backslash, `//` (an authority) or `.`/`..` segment. Most API requests (a POST of an object)
 * have one, and skip the parser.
 */
const PLAIN_PATH = /^\/(?!\/)[A-Za-z0-9\-_~/.:@]*$/;
const DOT_SEGMENT = /(^|\/)\.\.?(\/|$)/;

function parseUrl(raw: string): RequestUrl {
  if (PLAIN_PATH.test(raw) && !DOT_SEGMENT.test(raw)) return { pathname: raw, searchParams: new URLSearchParams() };
  return new URL(raw, 'http://localhost');
}

/**
 * The parsed URL and RequestInfo of a request, worked out once per request: the security guard
 * in front of the handler and the handler itself both need them.
 */
export function requestTarget(req: { method?: string | undefined; url?: string | undefined }): RequestTarget {
  const carrier = req as TargetCarrier;
  let t = carrier[TARGET];
  if (!t) {
    const url = parseUrl(req.url ?? '/');
    t = { url, info: resolveRequest(req.method ?? 'GET', url.pathname, url.searchParams) };
    carrier[TARGET] = t;
  }
  return t;
}

/** Subresources of the `namespaces` resource itself (`/api/v1/namespaces/x/status`). */
const namespaceSubresources = new Set(['status', 'finalize']);

const truthy = (v: string | null) => v === 'true' || v === '1';

/** The non-empty segments of a path, in one pass (no intermediate arrays). */
function segments(path: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i <= path.length; i++) {
    if (i === path.length || path.charCodeAt(i) === 47 /* '/' */) {
      if (i > start) out.push(path.slice(start, i));
      start = i + 1;
    }
  }
  return out;
}

export function resolveRequest(method: string, path: string, query: URLSearchParams): RequestInfo {
  const split = segments(path);
  // Only a segment with a percent-escape changes when decoded (most paths have none).
  const parts = path.includes('%') ? split.map(decodeURIComponent) : split;
  const n = parts.length;
  let group: string;
  let version: string;
  let r: number; // where the part after group/version starts
  if (parts[0] === 'api') {
    if (n === 1) return { kind: 'discovery-root', root: 'api' };
    group = '';
    version = parts[1]!;
    r = 2;
  } else if (parts[0] === 'apis') {
    if (n === 1) return { kind: 'discovery-root', root: 'apis' };
    if (n === 2) return { kind: 'discovery-group', group: parts[1]! };
    group = parts[1]!;
    version = parts[2]!;
    r = 3;
  } else {
    return { kind: 'other', path };
  }
  if (r >= n) return { kind: 'discovery-version', group, version };

  let watchPrefix = false;
  if (parts[r] === 'watch') {
    watchPrefix = true;
    r++;
  }
  let namespace: string | undefined;
  const left = n - r;
  if (parts[r] === 'namespaces' && left >= 3 && !(group === '' && left === 3 && namespaceSubresources.has(parts[r + 2]!))) {
    namespace = parts[r + 1];
    r += 2;
  }
  const resource = parts[r];
  const name = parts[r + 1];
  const subresource = parts[r + 2];
  if (!resource || n - r > 3) return { kind: 'other', path };

  const m = method.toUpperCase();
  let verb: Verb;
  if (m === 'GET' || m === 'HEAD') verb = name ? 'get' : watchPrefix || truthy(query.get('watch')) ? 'watch' : 'list';
  else if (m === 'POST') verb = 'create';
  else if (m === 'PUT') verb = 'update';
  else if (m === 'PATCH') verb = 'patch';
  else if (m === 'DELETE') verb = name ? 'delete' : 'deletecollection';
  else return { kind: 'other', path };
  if (watchPrefix && m === 'GET') verb = 'watch';

  const info: ResourceRequest = { kind: 'resource', verb, group, version, resource };
  if (namespace !== undefined) info.namespace = namespace;
  if (name !== undefined) info.name = name;
  if (subresource !== undefined) info.subresource = subresource;
  return info;
}
