import { defaultPrinter, eventPrinter, leasePrinter, namespacePrinter } from './other-printers.js';
import { endpointSlicePrinter, endpointsPrinter } from './endpoint-printers.js';
import { nodePrinter } from './node-printer.js';
import { podPrinter } from './pod-printer.js';
import { servicePrinter } from './service-printer.js';
import { deploymentPrinter, replicaSetPrinter } from './workload-printers.js';
import type { Printer, Table, TableColumnDefinition, TableRow } from './types.js';

/** What each row carries besides its cells (`?includeObject=`); Kubernetes defaults to Metadata. */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableOptions {
  includeObject?: IncludeObject;
  /** The list's (or watch event's) resourceVersion; kubectl starts `get -w` watches from it. */
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
  /** Omit columnDefinitions (later events of a Table watch may leave them out). */
  noHeaders?: boolean;
  /** Clock for the AGE cells, in ms since the epoch; defaults to Date.now(). */
  now?: number;
}

/** The printer of every kind with kubectl's own columns; other kinds print NAME AGE. */
const PRINTERS: Record<string, Printer<never>> = {
  Pod: podPrinter,
  Service: servicePrinter,
  Endpoints: endpointsPrinter,
  EndpointSlice: endpointSlicePrinter,
  Node: nodePrinter,
  Namespace: namespacePrinter,
  Deployment: deploymentPrinter,
  ReplicaSet: replicaSetPrinter,
  Event: eventPrinter,
  Lease: leasePrinter,
};

type KindRef = string | { readonly kind: string };
type AnyStored = Readonly<Record<string, unknown>>;

const printerFor = (kind: KindRef): Printer<AnyStored> =>
  (PRINTERS[typeof kind === 'string' ? kind : kind.kind] ?? defaultPrinter) as unknown as Printer<AnyStored>;

/** The column definitions of `kind` (wide ones included, marked with priority 1). */
export const tableColumns = (kind: KindRef): TableColumnDefinition[] => printerFor(kind).columns.map((c) => ({ ...c }));

const rowObject = (obj: AnyStored, include: IncludeObject): Record<string, unknown> | undefined => {
  if (include === 'None') return undefined;
  if (include === 'Object') return { ...obj };
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata ?? {} };
};

/** The rows of `objects` (one per object), cells in column order, with the requested row object. */
export const tableRows = (kind: KindRef, objects: readonly AnyStored[], opts: Pick<TableOptions, 'includeObject' | 'now'> = {}): TableRow[] => {
  const printer = printerFor(kind);
  const now = opts.now ?? Date.now();
  const include = opts.includeObject ?? 'Metadata';
  return objects.map((obj) => {
    const { cells, conditions } = printer.row(obj, now);
    const row: TableRow = { cells };
    if (conditions) row.conditions = conditions;
    const object = rowObject(obj, include);
    if (object) row.object = object;
    return row;
  });
};

/**
 * A meta.k8s.io/v1 Table of `objects` of `kind` as kubectl prints them against a real cluster
 * (`kubectl get`, `-o wide`, `-A` which takes NAMESPACE from each row's object). Every column is
 * included; kubectl hides priority > 0 columns unless `-o wide`. Pure: the clock comes from
 * `opts.now`.
 */
export const toTable = (kind: KindRef, objects: readonly AnyStored[], opts: TableOptions = {}): Table => {
  const metadata: Table['metadata'] = {};
  if (opts.resourceVersion !== undefined) metadata.resourceVersion = opts.resourceVersion;
  if (opts.continue) metadata.continue = opts.continue;
  if (opts.remainingItemCount !== undefined) metadata.remainingItemCount = opts.remainingItemCount;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: opts.noHeaders ? [] : tableColumns(kind),
    rows: tableRows(kind, objects, opts),
  };
};

/**
 * The object of one watch event when the watch asked for a Table: a one-row Table carrying the
 * object's resourceVersion. Use for ADDED/MODIFIED/DELETED; BOOKMARK and ERROR objects pass as they are.
 */
export const toTableEvent = (kind: KindRef, object: AnyStored, opts: Omit<TableOptions, 'resourceVersion' | 'continue' | 'remainingItemCount'> = {}): Table => {
  const meta = (object.metadata ?? {}) as { resourceVersion?: unknown };
  const rv = typeof meta.resourceVersion === 'string' ? meta.resourceVersion : undefined;
  return toTable(kind, [object], rv === undefined ? opts : { ...opts, resourceVersion: rv });
};

/**
 * Adapter for the API server's `TableConverter` seam (controller/server/table-output.ts): kubectl's
 * columns and cells for `kind`; the server adds row objects and list metadata itself.
 */
export const kubectlTableConverter = (
  kind: { readonly kind: string },
  objects: readonly AnyStored[],
  _opts?: { wide?: boolean; includeObject?: IncludeObject },
): { columnDefinitions: TableColumnDefinition[]; rows: TableRow[] } => ({
  columnDefinitions: tableColumns(kind),
  rows: tableRows(kind, objects, { includeObject: 'None' }),
});
