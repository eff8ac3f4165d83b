/**
 * The REST verbs on a resource (get, list, watch, create, update, patch, delete, deletecollection)
 * and the status subresource: decode and check the request, call the registry, encode the answer
 * (plain JSON or a Table).
 */
import type { KindInfo } from '../api/kinds.js';
import type { StoredObject } from '../store/store.js';
import { decodeObject, mediaType, readBody } from './body.js';
import { ApiServerError, errors } from './errors.js';
import { TABLE_CONTENT_TYPE, wantsTable } from './negotiation.js';
import { metaOf } from './object-meta.js';
import { applyPatch, isPatchError } from './patch/index.js';
import { compileSelectors, dryRunOf, includeObjectOf, parseListParams, parseWriteParams, type WriteParams } from './query.js';
import type { DeleteRequest } from './resource-registry.js';
import { refOf } from './resource-registry.js';
import { sendJson, sendStoredObject } from './respond.js';
import type { RestContext } from './rest-context.js';
import { successStatus } from './status.js';
import { buildTable } from './table-output.js';
import { serveWatch } from './watch-stream.js';

const rvOf = (o: StoredObject) => String(metaOf(o).resourceVersion ?? '');

/** GET of one object, as JSON or a one-row Table. */
export async function getObject(ctx: RestContext): Promise<void> {
  const obj = await ctx.registry.get(ctx.kind, ctx.info.namespace, ctx.info.name!);
  if (wantsTable(ctx.req.headers.accept)) {
    const p = parseListParams(ctx.query);
    return sendJson(ctx.res, 200, buildTable(ctx.table, ctx.kind, [obj], { includeObject: includeObjectOf(p), resourceVersion: rvOf(obj) }), TABLE_CONTENT_TYPE);
  }
  sendJson(ctx.res, 200, obj);
}

export async function listObjects(ctx: RestContext): Promise<void> {
  const p = parseListParams(ctx.query);
  const sel = compileSelectors(ctx.registry.model, ctx.kind, p);
  const page = await ctx.registry.list(ctx.kind, ctx.info.namespace, {
    ...sel,
    ...(p.limit ? { limit: p.limit } : {}),
    ...(p.continue ? { continue: p.continue } : {}),
    ...(p.resourceVersion ? { resourceVersion: p.resourceVersion } : {}),
  });
  const rv = String(page.revision);
  if (wantsTable(ctx.req.headers.accept)) {
    const body = buildTable(ctx.table, ctx.kind, page.items, {
      includeObject: includeObjectOf(p),
      resourceVersion: rv,
      ...(page.continue ? { continue: page.continue } : {}),
    });
    return sendJson(ctx.res, 200, body, TABLE_CONTENT_TYPE);
  }
  sendJson(ctx.res, 200, {
    kind: ctx.kind.listKind,
    apiVersion: ctx.kind.apiVersion,
    metadata: { resourceVersion: rv, ...(page.continue ? { continue: page.continue } : {}) },
    items: page.items,
  });
}

export async function watchObjects(ctx: RestContext): Promise<void> {
  const p = parseListParams(ctx.query);
  const sel = compileSelectors(ctx.registry.model, ctx.kind, p, ctx.info.name);
  const fromRevision = p.resourceVersion && p.resourceVersion !== '0' ? Number(p.resourceVersion) : undefined;
  const timeoutMs =
    p.timeoutSeconds !== undefined && p.timeoutSeconds > 0
      ? p.timeoutSeconds * 1000
      : Math.round(ctx.watch.minTimeoutSeconds * 1000 * (1 + Math.random()));
  const w = await serveWatch(ctx.req, ctx.res, {
    registry: ctx.registry,
    kind: ctx.kind,
    namespace: ctx.info.namespace,
    ...sel,
    ...(fromRevision !== undefined ? { fromRevision } : {}),
    timeoutMs,
    ...(p.allowWatchBookmarks ? { bookmarkIntervalMs: ctx.watch.bookmarkIntervalMs } : {}),
    ...(wantsTable(ctx.req.headers.accept) ? { table: { convert: ctx.table, includeObject: includeObjectOf(p) } } : {}),
  });
  ctx.watches.add(w);
  await w.done;
  ctx.watches.delete(w);
}

/** apiVersion/kind in a body must be the URL's (or absent); name and namespace must agree. */
export function checkBodyIdentity(kind: KindInfo, body: StoredObject, url: { namespace?: string; name?: string }, expect = { apiVersion: kind.apiVersion, kind: kind.kind }): void {
  if (body.apiVersion !== undefined && body.apiVersion !== expect.apiVersion)
    throw errors.badRequest(`the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${expect.apiVersion})`);
  if (body.kind !== undefined && body.kind !== expect.kind)
    throw errors.badRequest(`the kind in the data (${String(body.kind)}) does not match the expected kind (${expect.kind})`);
  const meta = metaOf(body);
  if (url.name !== undefined) {
    if (meta.name === undefined || meta.name === '') meta.name = url.name;
    else if (meta.name !== url.name)
      throw errors.badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${url.name})`);
  }
  if (kind.namespaced && url.namespace !== undefined && meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== url.namespace)
    throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
}

/** Unknown fields under fieldValidation: Strict → 400 naming them; Warn → Warning headers. */
export function checkUnknownFields(ctx: RestContext, p: WriteParams, obj: StoredObject): void {
  const mode = p.fieldValidation ?? 'Warn';
  if (mode === 'Ignore') return;
  const unknown = ctx.registry.model.findUnknownFields(ctx.kind, obj);
  if (unknown.length === 0) return;
  if (mode === 'Strict')
    throw errors.badRequest(
      `strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`,
      unknown.map((f) => ({ reason: 'FieldValueInvalid', field: f, message: `unknown field "${f}"` })),
    );
  ctx.res.setHeader('Warning', unknown.map((f) => `299 - "unknown field \\"${f}\\""`));
}

export async function createObject(ctx: RestContext): Promise<void> {
  const p = parseWriteParams(ctx.query);
  const dryRun = dryRunOf(p.dryRun);
  const body = decodeObject(await readBody(ctx.req), ctx.req.headers['content-type']);
  checkBodyIdentity(ctx.kind, body, { ...(ctx.info.namespace !== undefined ? { namespace: ctx.info.namespace } : {}) });
  checkUnknownFields(ctx, p, body);
  const created = await ctx.registry.create(ctx.kind, ctx.info.namespace, body, ctx.user, dryRun ? { dryRun } : {});
  sendStoredObject(ctx.res, 201, created);
}

/** PUT of the main resource or of `status`. */
export async function updateObject(ctx: RestContext): Promise<void> {
  const p = parseWriteParams(ctx.query);
  const dryRun = dryRunOf(p.dryRun);
  const body = decodeObject(await readBody(ctx.req), ctx.req.headers['content-type']);
  const name = ctx.info.name!;
  checkBodyIdentity(ctx.kind, body, { name, ...(ctx.info.namespace !== undefined ? { namespace: ctx.info.namespace } : {}) });
  checkUnknownFields(ctx, p, body);
  const rv = metaOf(body).resourceVersion;
  const updated = await ctx.registry.update(ctx.kind, ctx.info.namespace, name, body, {
    user: ctx.user,
    ...(ctx.info.subresource ? { subresource: ctx.info.subresource } : {}),
    ...(rv ? { precondition: rv } : {}),
    ...(dryRun ? { dryRun } : {}),
  });
  sendStoredObject(ctx.res, 200, updated);
}

/** Maps a patch module error to the Status it stands for. */
export function patchFailure(err: unknown): unknown {
  if (!isPatchError(err)) return err;
  const code = err.httpStatus === 415 ? 'UnsupportedMediaType' : err.httpStatus === 422 ? 'Invalid' : 'BadRequest';
  return new ApiServerError(code, err.message);
}

/** Applies a PATCH body to `current`; a resourceVersion in the patch is a precondition. */
export function patched(ctx: RestContext, kindName: string, current: StoredObject, patchText: string, contentType: string): StoredObject {
  let out: unknown;
  try {
    out = applyPatch(kindName, current as never, patchText, contentType);
  } catch (err) {
    throw patchFailure(err);
  }
  if (typeof out !== 'object' || out === null || Array.isArray(out)) throw errors.badRequest('the patch result is not an object');
  const next = out as StoredObject;
  const rv = metaOf(next).resourceVersion;
  if (rv !== undefined && rv !== rvOf(current))
    throw errors.conflict(refOf(ctx.kind), ctx.info.name!, 'the object has been modified; please apply your changes to the latest version and try again');
  return next;
}

export async function patchObject(ctx: RestContext): Promise<void> {
  const p = parseWriteParams(ctx.query);
  const dryRun = dryRunOf(p.dryRun);
  const contentType = ctx.req.headers['content-type'] ?? '';
  if (mediaType(contentType) === 'application/apply-patch+yaml')
    throw new ApiServerError('UnsupportedMediaType', 'the body of the request was in an unknown format - server-side apply is not supported yet; use client-side apply');
  const text = (await readBody(ctx.req)).toString('utf8');
  const name = ctx.info.name!;
  const updated = await ctx.registry.update(
    ctx.kind,
    ctx.info.namespace,
    name,
    (current) => {
      const next = patched(ctx, ctx.kind.kind, current, text, contentType);
      checkBodyIdentity(ctx.kind, next, { name, ...(ctx.info.namespace !== undefined ? { namespace: ctx.info.namespace } : {}) });
      checkUnknownFields(ctx, p, next);
      return next;
    },
    { user: ctx.user, ...(ctx.info.subresource ? { subresource: ctx.info.subresource } : {}), ...(dryRun ? { dryRun } : {}) },
  );
  sendStoredObject(ctx.res, 200, updated);
}

async function deleteOptions(ctx: RestContext, p: WriteParams): Promise<DeleteRequest> {
  const buf = await readBody(ctx.req);
  const opts: DeleteRequest = {};
  if (buf.length > 0 && buf.toString('utf8').trim() !== '') {
    const body = decodeObject(buf, ctx.req.headers['content-type'] || 'application/json');
    if (typeof body.gracePeriodSeconds === 'number') opts.gracePeriodSeconds = body.gracePeriodSeconds;
    if (typeof body.propagationPolicy === 'string') opts.propagationPolicy = body.propagationPolicy;
    if (body.dryRun !== undefined) {
      if (!Array.isArray(body.dryRun) || !body.dryRun.every((v): v is string => typeof v === 'string')) throw errors.badRequest('dryRun: must be a list of strings');
      if (dryRunOf(body.dryRun)) opts.dryRun = true;
    }
    const pre = body.preconditions as { uid?: unknown; resourceVersion?: unknown } | undefined;
    if (pre && typeof pre === 'object') {
      opts.preconditions = {};
      if (typeof pre.uid === 'string') opts.preconditions.uid = pre.uid;
      if (typeof pre.resourceVersion === 'string') opts.preconditions.resourceVersion = pre.resourceVersion;
    }
  }
  if (p.gracePeriodSeconds !== undefined) opts.gracePeriodSeconds = p.gracePeriodSeconds;
  if (p.propagationPolicy !== undefined) opts.propagationPolicy = p.propagationPolicy;
  if (dryRunOf(p.dryRun)) opts.dryRun = true;
  return opts;
}

export async function deleteObject(ctx: RestContext): Promise<void> {
  const p = parseWriteParams(ctx.query);
  const opts = await deleteOptions(ctx, p);
  const r = await ctx.registry.delete(ctx.kind, ctx.info.namespace, ctx.info.name!, opts, ctx.user);
  if (!r.removed) return sendJson(ctx.res, 200, r.object);
  const m = metaOf(r.object);
  sendJson(ctx.res, 200, successStatus({ name: String(m.name), group: ctx.kind.group, kind: ctx.kind.resource, ...(m.uid ? { uid: m.uid } : {}) }));
}

export async function deleteCollection(ctx: RestContext): Promise<void> {
  const p = parseWriteParams(ctx.query);
  const lp = parseListParams(ctx.query);
  const opts = await deleteOptions(ctx, p);
  const sel = compileSelectors(ctx.registry.model, ctx.kind, lp);
  const page = await ctx.registry.list(ctx.kind, ctx.info.namespace, sel);
  const items: StoredObject[] = [];
  for (const o of page.items) {
    const m = metaOf(o);
    try {
      const r = await ctx.registry.delete(ctx.kind, m.namespace, String(m.name), opts, ctx.user);
      items.push(r.object);
    } catch (err) {
      if (!(err instanceof ApiServerError && err.code === 'NotFound')) throw err;
    }
  }
  sendJson(ctx.res, 200, { kind: ctx.kind.listKind, apiVersion: ctx.kind.apiVersion, metadata: { resourceVersion: String(page.revision) }, items });
}
