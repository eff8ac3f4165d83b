/** coordination.k8s.io/v1 Lease: leader election and node heartbeats. */
import { z } from 'zod';
import { objectMetaSchema } from './meta.js';

export const leaseSchema = z
  .object({
    apiVersion: z.string(),
    kind: z.string(),
    metadata: objectMetaSchema,
    spec: z
      .object({
        holderIdentity: z.string().optional(),
        leaseDurationSeconds: z.number().int().optional(),
        acquireTime: z.string().optional().describe('RFC 3339 with microseconds.'),
        renewTime: z.string().optional().describe('RFC 3339 with microseconds.'),
        leaseTransitions: z.number().int().optional(),
        strategy: z.string().optional(),
        preferredHolder: z.string().optional(),
      })
      .optional(),
  })
  .describe('A lease held by one party (leader election, node heartbeats).');
export type Lease = z.infer<typeof leaseSchema>;
