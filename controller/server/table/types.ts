import type { ObjectMeta } from '../../api/meta.js';

/** One Table column as meta.k8s.io/v1 defines it; priority 0 always shows, >0 only with `-o wide`. */
export interface TableColumnDefinition {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format: string;
  description: string;
  priority: number;
}

/** A row condition (kubectl uses `Completed` to tell finished pods apart). */
export interface TableRowCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
}

export type TableCell = string | number | boolean | null;

export interface TableRow {
  cells: TableCell[];
  conditions?: TableRowCondition[];
  /** PartialObjectMetadata (default), the whole object, or absent (`includeObject=None`). */
  object?: Record<string, unknown>;
}

/** meta.k8s.io/v1 Table, the body kubectl asks for with `Accept: ...;as=Table;v=v1;g=meta.k8s.io`. */
export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

/** Any stored object: the printers read only Kubernetes field names, never trust their presence. */
export interface AnyObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [field: string]: unknown;
}

/**
 * How one kind prints: its columns (all of them, wide ones included, as the API server always
 * sends) and the cells of one object, in column order.
 */
export interface Printer<T = AnyObject> {
  readonly columns: readonly TableColumnDefinition[];
  row(obj: T, now: number): { cells: TableCell[]; conditions?: TableRowCondition[] };
}

export const column = (
  name: string,
  description: string,
  opts: { type?: TableColumnDefinition['type']; format?: string; priority?: number } = {},
): TableColumnDefinition => ({
  name,
  type: opts.type ?? 'string',
  format: opts.format ?? '',
  description,
  priority: opts.priority ?? 0,
});

export const NAME_COLUMN = column('Name', 'Name of the object, unique within its namespace (or the cluster).', { format: 'name' });
export const AGE_COLUMN = column('Age', 'Time since the object was created (metadata.creationTimestamp).');
