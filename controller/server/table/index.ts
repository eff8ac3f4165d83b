/**
 * Server-side printing: meta.k8s.io/v1 Tables with kubectl's columns per kind, computed on the
 * server as Kubernetes does (AGE and STATUS are strings in the cells). See README.md.
 */
export { toTable, toTableEvent, tableColumns, tableRows, kubectlTableConverter, type IncludeObject, type TableOptions } from './to-table.js';
export { humanDuration, timeSince } from './human-duration.js';
export type { Table, TableColumnDefinition, TableRow, TableRowCondition, TableCell } from './types.js';
