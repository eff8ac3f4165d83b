/** autoscaling/v1 Scale: the `scale` subresource of Deployments and ReplicaSets. */
import { z } from 'zod';
import { objectMetaSchema } from './meta.js';

export const scaleSchema = z
  .object({
    apiVersion: z.string(),
    kind: z.string(),
    metadata: objectMetaSchema,
    spec: z.object({ replicas: z.number().int().optional().describe('Desired replicas.') }).optional(),
    status: z
      .object({
        replicas: z.number().int().describe('Observed replicas.'),
        selector: z.string().optional().describe('Label selector of the pods, as text.'),
      })
      .optional(),
  })
  .describe('The scale of a scalable resource.');
export type Scale = z.infer<typeof scaleSchema>;
