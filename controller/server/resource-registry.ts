/**
 * The REST semantics of every kind on top of the Store, independent of HTTP: keys, create
 * (generateName, uid, defaulting, validation, namespace existence), update (preconditions,
 * server-owned fields, status subresource rules, generation), graceful deletion (finalizers,
 * deletionTimestamp, pods on nodes), selector-filtered list and watch. The HTTP handlers only
 * decode requests and encode answers around it.
 */
import type { KindInfo } from '../api/kinds.js';
import { isStoreError, StoreError } from '../store/errors.js';
import type { Store, StoredObject, Watch } from '../store/store.js';
import { runAdmission, type AdmissionHook } from './admission.js';
import { ApiServerError, errors, toApiServerError, type ResourceRef } from './errors.js';
import type { UserInfo } from './identity.js';
import type { ApiModel, ObjectPredicate } from './model.js';
import { jsonCopy } from './json-copy.js';
import { carryServerFields, metaOf, prepareForCreate, rfc3339, sameObject } from './object-meta.js';

/** Namespaces the server creates at start and refuses to delete. */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'] as const;
const PROTECTED_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

export const refOf = (kind: KindInfo): ResourceRef => ({ group: kind.group, resource: kind.resource });

export function storeKey(kind: KindInfo, namespace: string | undefined, name?: string): string {
  const base = `/${kind.group || 'core'}/${kind.resource}/`;
  if (kind.namespaced && namespace !== undefined) return name === undefined ? `${base}${namespace}/` : `${base}${namespace}/${name}`;
  return name === undefined ? base : `${base}${name}`;
}

export interface Selectors {
  label?: ObjectPredicate;
  field?: ObjectPredicate;
}

const matches = (s: Selectors, obj: StoredObject) => (!s.label || s.label(obj)) && (!s.field || s.field(obj));

export interface ListQuery extends Selectors {
  limit?: number;
  continue?: string;
  resourceVersion?: string;
}

/** How a write is made: through a subresource, and/or as a dry run (checked, admitted, not stored). */
export interface WriteOptions {
  subresource?: string;
  dryRun?: boolean;
}

export interface DeleteRequest {
  /** Check and admit the delete, answer as if it happened, change nothing. */
  dryRun?: boolean;
  gracePeriodSeconds?: number;
  propagationPolicy?: string;
  preconditions?: { uid?: string; resourceVersion?: string };
}

/** A delete either removed the object, or marked it and it lingers until finalizers/agents finish. */
export type DeleteResult = { removed: true; object: StoredObject } | { removed: false; object: StoredObject };

export interface RegistryWatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: StoredObject;
  revision: number;
}

export interface RegistryOptions {
  store: Store;
  model: ApiModel;
  admission?: readonly AdmissionHook[];
  /**
   * Kinds whose deletes honour `propagationPolicy` Foreground/Orphan by adding the
   * `foregroundDeletion`/`orphan` finalizer for the garbage collector, as Kubernetes does.
   * Limited to the kinds that own others here, so a Foreground delete of a Pod cannot wait on a
   * collector that never looks at pods.
   */
  propagationKinds?: readonly string[];
}

const PROPAGATION_FINALIZERS: Record<string, string> = { Foreground: 'foregroundDeletion', Orphan: 'orphan' };

const MAX_CONFLICT_RETRIES = 8;

export class ResourceRegistry {
  readonly store: Store;
  readonly model: ApiModel;
  readonly admission: AdmissionHook[];

  constructor(opts: RegistryOptions) {
    this.store = opts.store;
    this.model = opts.model;
    this.admission = [...(opts.admission ?? [])];
    this.propagationKinds = new Set(opts.propagationKinds ?? ['Deployment', 'ReplicaSet', 'Service']);
  }

  private readonly propagationKinds: Set<string>;

  async get(kind: KindInfo, namespace: string | undefined, name: string): Promise<StoredObject> {
    const obj = await this.store.get(storeKey(kind, namespace, name)).catch((e: unknown) => {
      throw toApiServerError(e, { ref: refOf(kind), name });
    });
    if (!obj) throw errors.notFound(refOf(kind), name);
    return obj;
  }

  /** A page of the objects selected; pages are filled across store pages when selectors filter. */
  async list(kind: KindInfo, namespace: string | undefined, q: ListQuery): Promise<{ items: StoredObject[]; revision: number; continue?: string }> {
    const prefix = storeKey(kind, namespace);
    const filtering = Boolean(q.label || q.field);
    const items: StoredObject[] = [];
    let token = q.continue;
    let revision = 0;
    try {
      for (;;) {
        const want = q.limit ? q.limit - items.length : undefined;
        const page = await this.store.list(prefix, {
          ...(want !== undefined ? { limit: want } : {}),
          ...(token !== undefined ? { continue: token } : {}),
          ...(q.resourceVersion !== undefined && token === undefined ? { resourceVersion: q.resourceVersion } : {}),
        });
        if (revision === 0) revision = page.revision;
        for (const o of page.items) if (!filtering || matches(q, o)) items.push(o);
        token = page.continue;
        if (!token || !q.limit || items.length >= q.limit) break;
      }
    } catch (e) {
      throw toApiServerError(e);
    }
    return token ? { items, revision, continue: token } : { items, revision };
  }

  private async requireNamespace(namespace: string, forCreate: boolean): Promise<void> {
    const ns = await (this.store.getCached ?? this.store.get).call(this.store, `/core/namespaces/${namespace}`);
    if (!ns) throw errors.notFound({ group: '', resource: 'namespaces' }, namespace);
    if (forCreate && metaOf(ns).deletionTimestamp)
      throw new ApiServerError('Forbidden', `unable to create new content in namespace ${namespace} because it is being terminated`, {
        name: namespace,
        kind: 'namespaces',
      });
  }

  private invalidIfNeeded(kind: KindInfo, obj: StoredObject, old?: StoredObject, statusOnly = false): void {
    const causes = statusOnly && old ? this.model.validateStatusWrite(kind, obj, old) : this.model.validate(kind, obj, old);
    if (causes.length > 0) throw errors.invalid(kind.kind, kind.group, String(metaOf(obj).name ?? ''), causes);
  }

  private decodeOrInvalid(kind: KindInfo, raw: StoredObject): StoredObject {
    const d = this.model.decode(kind, raw);
    if (!d.ok) throw errors.invalid(kind.kind, kind.group, String(metaOf(raw).name ?? ''), d.causes);
    return d.value;
  }

  /**
   * Creates the object. `dryRun`: everything a create does (defaulting, validation, namespace
   * check, admission, the name check) except the write; admission's allocations are rolled back
   * and the answer is the object that would have been stored, without a resourceVersion.
   */
  async create(kind: KindInfo, namespace: string | undefined, raw: StoredObject, user: UserInfo, opts: WriteOptions = {}): Promise<StoredObject> {
    const subresource = opts.subresource;
    let obj = this.decodeOrInvalid(kind, raw);
    let meta = metaOf(obj);
    if (kind.namespaced) {
      if (namespace === undefined) throw errors.badRequest(`${kind.resource} is namespaced: create it under /namespaces/<namespace>/`);
      meta.namespace = namespace;
    } else delete meta.namespace;
    if (!meta.name && !meta.generateName)
      throw errors.invalid(kind.kind, kind.group, '', [
        { reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' },
      ]);
    const generated = !meta.name;
    prepareForCreate(obj);
    resetStatusForCreate(kind, obj);
    obj = this.model.applyDefaults(kind, obj);
    obj.apiVersion = kind.apiVersion;
    obj.kind = kind.kind;
    meta = metaOf(obj);
    this.invalidIfNeeded(kind, obj);
    if (kind.namespaced) await this.requireNamespace(namespace!, true);
    for (let attempt = 0; ; attempt++) {
      const name = String(meta.name);
      const rollback = await runAdmission(this.admission, { operation: 'CREATE', kind, ...(subresource ? { subresource } : {}), ...(namespace !== undefined && kind.namespaced ? { namespace } : {}), name, object: obj, user, ...(opts.dryRun ? { dryRun: true } : {}) });
      try {
        if (opts.dryRun) {
          await rollback();
          const taken = await this.store.get(storeKey(kind, namespace, name));
          if (taken) throw new StoreError('AlreadyExists', `${storeKey(kind, namespace, name)} already exists`);
          return obj;
        }
        return await this.store.create(storeKey(kind, namespace, name), obj);
      } catch (e) {
        if (opts.dryRun) {
          if (generated && isStoreError(e, 'AlreadyExists') && attempt < 3) {
            delete meta.name;
            prepareForCreate(obj);
            continue;
          }
          throw toApiServerError(e, { ref: refOf(kind), name });
        }
        await rollback();
        if (generated && isStoreError(e, 'AlreadyExists') && attempt < 3) {
          delete meta.name;
          prepareForCreate(obj);
          continue;
        }
        throw toApiServerError(e, { ref: refOf(kind), name });
      }
    }
  }

  /**
   * Replaces the object through `compute(current) → next` with optimistic concurrency: when the
   * caller gave no resourceVersion precondition, a conflicting concurrent write is retried.
   * `compute` may be the replacement itself (a PUT): then the current object is not copied for it.
   */
  async update(
    kind: KindInfo,
    namespace: string | undefined,
    name: string,
    compute: StoredObject | ((current: StoredObject) => StoredObject | Promise<StoredObject>),
    opts: { user: UserInfo; precondition?: string; markDeletion?: boolean } & WriteOptions,
  ): Promise<StoredObject> {
    const key = storeKey(kind, namespace, name);
    for (let attempt = 0; ; attempt++) {
      const current = await this.get(kind, namespace, name);
      const currentRv = String(metaOf(current).resourceVersion ?? '');
      if (opts.precondition !== undefined && opts.precondition !== currentRv)
        throw errors.conflict(refOf(kind), name, 'the object has been modified; please apply your changes to the latest version and try again');
      const proposed = this.decodeOrInvalid(kind, typeof compute === 'function' ? await compute(jsonCopy(current)) : compute);
      const next = this.model.applyDefaults(kind, this.mergeForUpdate(kind, current, proposed, opts.subresource, opts.markDeletion));
      // A binding is the one write allowed to set a pod's spec.nodeName, so it skips the
      // immutability checks of a user update. A status write carries the stored metadata and
      // spec over (mergeForUpdate), so only its new status is checked.
      if (opts.subresource === 'status') this.invalidIfNeeded(kind, next, current, true);
      else this.invalidIfNeeded(kind, next, opts.subresource === 'binding' ? undefined : current);
      if (sameObject(current, next)) return current;
      const nm = metaOf(next);
      if (nm.deletionTimestamp && (!nm.finalizers || nm.finalizers.length === 0) && !waitsForNodeAgent(kind, next)) {
        return (await this.removeNow(kind, namespace, name, current, opts.user, opts.dryRun)).object;
      }
      const rollback = await runAdmission(this.admission, {
        operation: 'UPDATE',
        kind,
        ...(opts.subresource ? { subresource: opts.subresource } : {}),
        ...(namespace !== undefined ? { namespace } : {}),
        name,
        object: next,
        oldObject: current,
        user: opts.user,
        ...(opts.dryRun ? { dryRun: true } : {}),
      });
      if (opts.dryRun) {
        // The would-be object; it keeps the stored resourceVersion, as Kubernetes answers.
        await rollback();
        nm.resourceVersion = currentRv;
        return next;
      }
      try {
        return await this.store.update(key, next, { expectedRevision: Number(currentRv) });
      } catch (e) {
        await rollback();
        if (opts.precondition === undefined && isStoreError(e, 'Conflict') && attempt < MAX_CONFLICT_RETRIES) continue;
        throw toApiServerError(e, { ref: refOf(kind), name });
      }
    }
  }

  /** Status writes change only status; main-resource writes keep the stored status. */
  private mergeForUpdate(kind: KindInfo, current: StoredObject, proposed: StoredObject, subresource?: string, markDeletion?: boolean): StoredObject {
    let next: StoredObject;
    if (subresource === 'status') {
      // A private copy of the stored object (a JSON copy: cheaper than parsing its text again
      // or a structured clone), status replaced.
      next = jsonCopy(current);
      delete next.status;
      if (proposed.status !== undefined) next.status = proposed.status;
    } else {
      next = proposed;
      if (kind.subresources.includes('status')) {
        if (current.status !== undefined) next.status = jsonCopy(current.status);
        else delete next.status;
      }
      const mark = markDeletion ? { ts: metaOf(next).deletionTimestamp, grace: metaOf(next).deletionGracePeriodSeconds } : undefined;
      carryServerFields(current, next);
      if (mark) Object.assign(metaOf(next), { deletionTimestamp: mark.ts, deletionGracePeriodSeconds: mark.grace });
    }
    next.apiVersion = kind.apiVersion;
    next.kind = kind.kind;
    return next;
  }

  /**
   * Deletes the object (or marks it for deletion). `dryRun`: the same checks and admission, the
   * answer is what the delete would return, nothing is written (a namespace's contents stay).
   */
  async delete(kind: KindInfo, namespace: string | undefined, name: string, req: DeleteRequest, user: UserInfo): Promise<DeleteResult> {
    const dryRun = req.dryRun === true;
    const current = await this.get(kind, namespace, name);
    const meta = metaOf(current);
    if (req.preconditions?.uid !== undefined && req.preconditions.uid !== meta.uid)
      throw errors.conflict(refOf(kind), name, `Precondition failed: UID in precondition: ${req.preconditions.uid}, UID in object meta: ${String(meta.uid)}`);
    if (req.preconditions?.resourceVersion !== undefined && req.preconditions.resourceVersion !== meta.resourceVersion)
      throw errors.conflict(refOf(kind), name, 'the object has been modified; please apply your changes to the latest version and try again');
    if (kind.resource === 'namespaces' && kind.group === '') {
      if (PROTECTED_NAMESPACES.has(name))
        throw new ApiServerError('Forbidden', `namespaces "${name}" is forbidden: this namespace may not be deleted`, { name, kind: 'namespaces' });
      if (!dryRun) await this.emptyNamespace(name, user);
    }
    const grace = graceFor(kind, current, req.gracePeriodSeconds);
    const propagation = req.propagationPolicy ? PROPAGATION_FINALIZERS[req.propagationPolicy] : undefined;
    const addFinalizer = propagation && this.propagationKinds.has(kind.kind) && !meta.finalizers?.includes(propagation) ? propagation : undefined;
    const hasFinalizers = (meta.finalizers?.length ?? 0) > 0 || addFinalizer !== undefined;
    const nodeGrace = kind.group === '' && kind.resource === 'pods' && grace > 0 && Boolean((current.spec as { nodeName?: string } | undefined)?.nodeName);
    if (hasFinalizers || nodeGrace) {
      if (meta.deletionTimestamp && !addFinalizer) return { removed: false, object: current };
      const marked = await this.update(
        kind,
        namespace,
        name,
        (obj) => {
          const m = metaOf(obj);
          if (addFinalizer) m.finalizers = [...(m.finalizers ?? []), addFinalizer];
          if (m.deletionTimestamp) return obj;
          m.deletionTimestamp = rfc3339(Date.now() + (nodeGrace ? grace * 1000 : 0));
          m.deletionGracePeriodSeconds = nodeGrace ? grace : 0;
          return obj;
        },
        { user, markDeletion: true, ...(dryRun ? { dryRun } : {}) },
      );
      return { removed: false, object: marked };
    }
    return this.removeNow(kind, namespace, name, current, user, dryRun);
  }

  private async removeNow(kind: KindInfo, namespace: string | undefined, name: string, current: StoredObject, user: UserInfo, dryRun = false): Promise<DeleteResult> {
    const rollback = await runAdmission(this.admission, {
      operation: 'DELETE',
      kind,
      ...(namespace !== undefined ? { namespace } : {}),
      name,
      oldObject: current,
      user,
      ...(dryRun ? { dryRun: true } : {}),
    });
    if (dryRun) {
      await rollback();
      return { removed: true, object: current };
    }
    try {
      const removed = await this.store.delete(storeKey(kind, namespace, name), { expectedRevision: Number(metaOf(current).resourceVersion) });
      return { removed: true, object: removed };
    } catch (e) {
      await rollback();
      throw toApiServerError(e, { ref: refOf(kind), name });
    }
  }

  /** Deleting a namespace removes its contents first (there is no namespace controller yet). */
  private async emptyNamespace(namespace: string, user: UserInfo): Promise<void> {
    for (const kind of this.model.kinds()) {
      if (!kind.namespaced || !kind.verbs.includes('delete')) continue;
      const { items } = await this.list(kind, namespace, {});
      for (const o of items) {
        const current = await this.store.get(storeKey(kind, namespace, String(metaOf(o).name)));
        if (current) await this.removeNow(kind, namespace, String(metaOf(o).name), current, user).catch(() => undefined);
      }
    }
  }

  /**
   * Watches the kind, filtered by selectors. An object that stops matching arrives as DELETED,
   * one that starts matching as ADDED, as the Kubernetes watch cache reports them.
   */
  async watch(
    kind: KindInfo,
    namespace: string | undefined,
    opts: Selectors & {
      fromRevision?: number;
      onEvent(e: RegistryWatchEvent): void;
      /** Every store event's revision, delivered or filtered out (for bookmarks). */
      onProgress?(revision: number): void;
      onError(err: ApiServerError): void;
    },
  ): Promise<Watch> {
    const filtering = Boolean(opts.label || opts.field);
    const inside = new Set<string>();
    const keyOf = (o: StoredObject) => `${String(metaOf(o).namespace ?? '')}/${String(metaOf(o).name ?? '')}`;
    if (filtering && opts.fromRevision) {
      const seed = await this.list(kind, namespace, { ...opts });
      for (const o of seed.items) inside.add(keyOf(o));
    }
    return this.store.watch(storeKey(kind, namespace), {
      ...(opts.fromRevision !== undefined ? { fromRevision: opts.fromRevision } : {}),
      onEvent: (e) => {
        opts.onProgress?.(e.revision);
        if (!filtering) return opts.onEvent(e);
        const k = keyOf(e.object);
        const now = matches(opts, e.object);
        if (e.type === 'DELETED') {
          if (inside.delete(k) || now) opts.onEvent(e);
          return;
        }
        const was = inside.has(k);
        if (now && !was) {
          inside.add(k);
          opts.onEvent({ ...e, type: 'ADDED' });
        } else if (now && was) opts.onEvent(e);
        else if (!now && was) {
          inside.delete(k);
          opts.onEvent({ ...e, type: 'DELETED' });
        }
      },
      onError: (err) => opts.onError(toApiServerError(err)),
    });
  }
}

/** Pods bound to a node wait for the node agent to confirm a graceful delete. */
function waitsForNodeAgent(kind: KindInfo, obj: StoredObject): boolean {
  if (kind.group !== '' || kind.resource !== 'pods') return false;
  const m = metaOf(obj);
  return Boolean((obj.spec as { nodeName?: string } | undefined)?.nodeName) && (m.deletionGracePeriodSeconds ?? 0) > 0;
}

function graceFor(kind: KindInfo, obj: StoredObject, requested: number | undefined): number {
  if (requested !== undefined) return Math.max(0, requested);
  if (kind.group === '' && kind.resource === 'pods') {
    const g = (obj.spec as { terminationGracePeriodSeconds?: number } | undefined)?.terminationGracePeriodSeconds;
    return typeof g === 'number' ? g : 30;
  }
  return 0;
}

/** What create does to status: most kinds start with none; pods start Pending; nodes keep theirs. */
function resetStatusForCreate(kind: KindInfo, obj: StoredObject): void {
  if (kind.group !== '') {
    if (kind.subresources.includes('status')) delete obj.status;
    return;
  }
  switch (kind.resource) {
    case 'pods':
      obj.status = { phase: 'Pending' };
      break;
    case 'namespaces':
      obj.status = { phase: 'Active' };
      break;
    case 'nodes':
      break;
    default:
      if (kind.subresources.includes('status')) delete obj.status;
  }
}
