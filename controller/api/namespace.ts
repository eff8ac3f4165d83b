/** core/v1 Namespace: a scope for names of namespaced objects. */
import { z } from 'zod';
import { conditionSchema, objectMetaSchema } from './meta.js';

export const namespaceSchema = z
  .object({
    apiVersion: z.string(),
    kind: z.string(),
    metadata: objectMetaSchema,
    spec: z.object({ finalizers: z.array(z.string()).optional() }).optional(),
    status: z
      .object({ phase: z.string().optional().describe('Active or Terminating.'), conditions: z.array(conditionSchema).optional() })
      .optional(),
  })
  .describe('A scope for names.');
export type Namespace = z.infer<typeof namespaceSchema>;
