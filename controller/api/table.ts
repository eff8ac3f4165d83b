/** meta.k8s.io/v1 Table: the server-side printing format kubectl asks for. */
import { z } from 'zod';
import { listMetaSchema } from './meta.js';

export const tableColumnDefinitionSchema = z.object({
  name: z.string(),
  type: z.string().describe('string, integer, number, boolean or date.'),
  format: z.string(),
  description: z.string(),
  priority: z.number().int().describe('0 = always shown; higher = only with -o wide.'),
});
export type TableColumnDefinition = z.infer<typeof tableColumnDefinitionSchema>;

export const tableRowSchema = z.object({
  cells: z.array(z.unknown()),
  conditions: z.array(z.looseObject({})).optional(),
  object: z.looseObject({}).optional().describe('The object or PartialObjectMetadata of this row.'),
});
export type TableRow = z.infer<typeof tableRowSchema>;

export const tableSchema = z.object({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: listMetaSchema,
  columnDefinitions: z.array(tableColumnDefinitionSchema),
  rows: z.array(tableRowSchema),
});
export type Table = z.infer<typeof tableSchema>;
