import type { KindInfo } from '../../api/kinds.js';
import { SCALE_KIND } from '../../api/kinds.js';
import { META, componentName, operationInfix } from './names.js';
import type { SchemaObject } from './schema-shape.js';

type Operation = SchemaObject;
type PathItem = Record<string, Operation | SchemaObject[]>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: string) => ({ 'application/json': { schema: ref(name) } });

const queryParam = (name: string, description: string, type: 'string' | 'integer' | 'boolean' = 'string') => ({
  name, in: 'query', description, schema: { type },
});
const pathParam = (name: string, description: string) => ({ name, in: 'path', required: true, description, schema: { type: 'string' } });

const strip = (p: SchemaObject) => Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined));

const PARAM = {
  name: strip(pathParam('name', 'Name of the object.')),
  namespace: strip(pathParam('namespace', 'Namespace of the object.')),
  pretty: strip(queryParam('pretty', 'Indent the JSON output.')),
  dryRun: strip(queryParam('dryRun', 'All: validate and answer without persisting.')),
  fieldManager: strip(queryParam('fieldManager', 'Name of the actor making the change.')),
  fieldValidation: strip(queryParam('fieldValidation', 'Ignore, Warn or Strict: what to do with unknown or duplicate fields in the body. Strict answers 400 naming the field.')),
  force: strip(queryParam('force', 'Server-side apply only: take ownership of conflicting fields.', 'boolean')),
  labelSelector: strip(queryParam('labelSelector', 'Only objects whose labels match, e.g. app=web,tier!=db.')),
  fieldSelector: strip(queryParam('fieldSelector', 'Only objects whose fields match, e.g. metadata.name=x.')),
  limit: strip(queryParam('limit', 'At most this many items; follow metadata.continue for the rest.', 'integer')),
  continue: strip(queryParam('continue', 'Token from a previous limited list.')),
  resourceVersion: strip(queryParam('resourceVersion', 'Read at (or watch from) this store revision.')),
  watch: strip(queryParam('watch', 'Stream changes as newline-delimited watch events.', 'boolean')),
  allowWatchBookmarks: strip(queryParam('allowWatchBookmarks', 'Allow BOOKMARK events carrying only a resourceVersion.', 'boolean')),
  timeoutSeconds: strip(queryParam('timeoutSeconds', 'End the list or watch after this many seconds.', 'integer')),
  gracePeriodSeconds: strip(queryParam('gracePeriodSeconds', 'Seconds before the object is deleted.', 'integer')),
  propagationPolicy: strip(queryParam('propagationPolicy', 'Orphan, Background or Foreground.')),
};

const LIST_PARAMS = [PARAM.labelSelector, PARAM.fieldSelector, PARAM.limit, PARAM.continue, PARAM.resourceVersion, PARAM.watch, PARAM.allowWatchBookmarks, PARAM.timeoutSeconds];
const WRITE_PARAMS = [PARAM.dryRun, PARAM.fieldManager, PARAM.fieldValidation];

/**
 * Patch types advertised on PATCH operations. Strategic merge patch is deliberately left out:
 * kubectl then computes `apply` patches from its compiled-in Kubernetes types (exact upstream
 * merge keys) instead of from these documents, where opaque sub-trees (volume sources,
 * securityContext) would make its OpenAPI-v3 patch builder fail with a warning. The server accepts
 * strategic merge patches regardless.
 */
const PATCH_BODY = {
  required: true,
  content: {
    'application/json-patch+json': { schema: ref(`${META}.Patch`) },
    'application/merge-patch+json': { schema: ref(`${META}.Patch`) },
  },
};

interface Target {
  readonly kind: KindInfo;
  /** The kind the operation reads or writes (Scale for /scale, Binding for /binding). */
  readonly body: KindInfo;
  readonly collection: string;
  readonly item: string;
  readonly subresource?: string;
  readonly namespaced: boolean;
}

const gvk = (k: KindInfo) => ({ group: k.group, version: k.version, kind: k.kind });

const operation = (
  t: Target,
  action: string,
  verbPrefix: string,
  opts: { list?: boolean; allNamespaces?: boolean; params?: SchemaObject[]; requestBody?: SchemaObject; ok: Record<string, unknown>; created?: boolean },
): Operation => {
  const scope = opts.allNamespaces ? 'ForAllNamespaces' : '';
  const ns = t.namespaced && !opts.allNamespaces ? 'Namespaced' : '';
  const what = `${t.kind.kind}${t.subresource ? t.subresource[0]?.toUpperCase() + t.subresource.slice(1) : ''}`;
  const responses: Record<string, unknown> = { '200': { description: 'OK', content: opts.ok } };
  if (opts.created) {
    responses['201'] = { description: 'Created', content: opts.ok };
    responses['202'] = { description: 'Accepted', content: opts.ok };
  }
  responses['401'] = { description: 'Unauthorized' };
  const op: Operation = {
    operationId: `${verbPrefix}${operationInfix(t.kind.group, t.kind.version)}${ns}${what}${scope}`,
    tags: [operationInfix(t.kind.group, t.kind.version)],
    description: `${action} ${t.subresource ? `${t.subresource} of ` : ''}${opts.list ? 'objects of kind ' : ''}${t.kind.kind}`,
    parameters: opts.params ?? [],
    responses,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk(t.body),
  };
  if (opts.requestBody) op.requestBody = opts.requestBody;
  return op;
};

const has = (k: KindInfo, verb: string) => k.verbs.includes(verb);

/** The REST paths of one kind: collection, item, all-namespaces list, status and scale. */
export const kindPaths = (kind: KindInfo): Record<string, PathItem> => {
  const prefix = kind.group === '' ? `/api/${kind.version}` : `/apis/${kind.group}/${kind.version}`;
  const nsPrefix = kind.namespaced ? `${prefix}/namespaces/{namespace}` : prefix;
  const base: Target = {
    kind,
    body: kind,
    collection: `${nsPrefix}/${kind.resource}`,
    item: `${nsPrefix}/${kind.resource}/{name}`,
    namespaced: kind.namespaced,
  };
  const scopeParams = kind.namespaced ? [PARAM.namespace] : [];
  const paths: Record<string, PathItem> = {};
  const component = componentName(kind);
  const listComponent = `${component}List`;

  const collection: PathItem = { parameters: [...scopeParams, PARAM.pretty] };
  if (has(kind, 'list')) collection.get = operation(base, 'list', 'list', { list: true, params: LIST_PARAMS, ok: json(listComponent) });
  if (has(kind, 'create')) {
    collection.post = operation(base, 'post', 'create', { params: WRITE_PARAMS, requestBody: { required: true, content: json(component) }, ok: json(component), created: true });
  }
  if (has(kind, 'deletecollection')) {
    collection.delete = operation(base, 'deletecollection', 'deleteCollection', { list: true, params: [...LIST_PARAMS, PARAM.dryRun, PARAM.gracePeriodSeconds, PARAM.propagationPolicy], requestBody: { content: json(`${META}.DeleteOptions`) }, ok: json(`${META}.Status`) });
  }
  if (Object.keys(collection).length > 1) paths[base.collection] = collection;

  const item: PathItem = { parameters: [PARAM.name, ...scopeParams, PARAM.pretty] };
  if (has(kind, 'get')) item.get = operation(base, 'get', 'read', { ok: json(component) });
  if (has(kind, 'update')) item.put = operation(base, 'put', 'replace', { params: WRITE_PARAMS, requestBody: { required: true, content: json(component) }, ok: json(component), created: true });
  if (has(kind, 'patch')) item.patch = operation(base, 'patch', 'patch', { params: [...WRITE_PARAMS, PARAM.force], requestBody: PATCH_BODY, ok: json(component), created: true });
  if (has(kind, 'delete')) {
    item.delete = operation(base, 'delete', 'delete', { params: [PARAM.dryRun, PARAM.gracePeriodSeconds, PARAM.propagationPolicy], requestBody: { content: json(`${META}.DeleteOptions`) }, ok: json(`${META}.Status`), created: true });
  }
  if (Object.keys(item).length > 1) paths[base.item] = item;

  if (kind.namespaced && has(kind, 'list')) {
    const all: Target = { ...base, collection: `${prefix}/${kind.resource}` };
    paths[all.collection] = { parameters: [PARAM.pretty], get: operation(all, 'list', 'list', { list: true, allNamespaces: true, params: LIST_PARAMS, ok: json(listComponent) }) };
  }

  for (const sub of kind.subresources) {
    if (sub !== 'status' && sub !== 'scale') continue;
    const body = sub === 'scale' ? (SCALE_KIND as KindInfo) : kind;
    const t: Target = { ...base, body, subresource: sub, item: `${base.item}/${sub}` };
    const bodyComponent = componentName(body);
    paths[t.item] = {
      parameters: [PARAM.name, ...scopeParams, PARAM.pretty],
      get: operation(t, 'get', 'read', { ok: json(bodyComponent) }),
      put: operation(t, 'put', 'replace', { params: WRITE_PARAMS, requestBody: { required: true, content: json(bodyComponent) }, ok: json(bodyComponent), created: true }),
      patch: operation(t, 'patch', 'patch', { params: [...WRITE_PARAMS, PARAM.force], requestBody: PATCH_BODY, ok: json(bodyComponent), created: true }),
    };
  }
  return paths;
};
