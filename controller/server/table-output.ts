/**
 * Table output (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`): the converter seam the
 * per-kind table module plugs into, the NAME/AGE fallback built from metadata alone, and the
 * row objects (`includeObject`: None, Metadata = PartialObjectMetadata, Object = the object).
 */
import type { KindInfo } from '../api/kinds.js';
import type { StoredObject } from '../store/store.js';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableColumn {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface TableRow {
  cells: unknown[];
  object?: Record<string, unknown>;
}

export interface TableBody {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string; continue?: string };
  columnDefinitions: TableColumn[];
  rows: TableRow[];
}

/** Columns and cells for the objects of one kind; row objects and list metadata are added here. */
export type TableConverter = (kind: KindInfo, objects: StoredObject[], opts: { wide?: boolean; includeObject?: IncludeObject }) => {
  columnDefinitions: TableColumn[];
  rows: TableRow[];
};

/** Kubernetes' human age: 5s, 3m20s, 4h, 2d3h, 45d. */
export function humanAge(fromIso: string | undefined, now = Date.now()): string {
  if (!fromIso) return '<unknown>';
  const s = Math.max(0, Math.floor((now - Date.parse(fromIso)) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return h < 8 && m % 60 ? `${h}h${m % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 8) return h % 24 ? `${d}d${h % 24}h` : `${d}d`;
  return `${d}d`;
}

/** NAME and AGE from metadata: what any kind can print without knowing its fields. */
export const metadataTable: TableConverter = (_kind, objects) => ({
  columnDefinitions: [
    { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 },
    { name: 'Age', type: 'string', format: '', description: 'Time since the object was created.', priority: 0 },
  ],
  rows: objects.map((o) => {
    const m = (o.metadata ?? {}) as { name?: string; creationTimestamp?: string };
    return { cells: [m.name ?? '', humanAge(m.creationTimestamp)] };
  }),
});

export function rowObject(obj: StoredObject, include: IncludeObject): Record<string, unknown> | undefined {
  if (include === 'None') return undefined;
  if (include === 'Object') return obj;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata ?? {} };
}

/** A full Table body: converter columns and cells, plus row objects and list metadata. */
export function buildTable(
  convert: TableConverter,
  kind: KindInfo,
  objects: StoredObject[],
  opts: { includeObject: IncludeObject; resourceVersion?: string; continue?: string; noHeaders?: boolean },
): TableBody {
  const t = convert(kind, objects, { wide: true, includeObject: opts.includeObject });
  const rows = t.rows.map((r, i) => {
    const object = rowObject(objects[i]!, opts.includeObject);
    return object ? { cells: r.cells, object } : { cells: r.cells };
  });
  const metadata: TableBody['metadata'] = {};
  if (opts.resourceVersion !== undefined) metadata.resourceVersion = opts.resourceVersion;
  if (opts.continue !== undefined) metadata.continue = opts.continue;
  return { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata, columnDefinitions: opts.noHeaders ? [] : t.columnDefinitions, rows };
}
