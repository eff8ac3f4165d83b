/** apps/v1 ReplicaSet: keeps a number of identical pods running. */
import { z } from 'zod';
import { conditionSchema, labelSelectorSchema, objectMetaSchema } from './meta.js';
import { podTemplateSpecSchema } from './pod.js';

export const replicaSetSpecSchema = z.object({
  replicas: z.number().int().optional().describe('Desired number of pods (default 1).'),
  minReadySeconds: z.number().int().optional(),
  selector: labelSelectorSchema.describe('Selects the pods; must match the template labels.'),
  template: podTemplateSpecSchema.optional(),
});

export const replicaSetStatusSchema = z.object({
  replicas: z.number().int().optional(),
  fullyLabeledReplicas: z.number().int().optional(),
  readyReplicas: z.number().int().optional(),
  availableReplicas: z.number().int().optional(),
  terminatingReplicas: z.number().int().optional(),
  observedGeneration: z.number().int().optional(),
  conditions: z.array(conditionSchema).optional(),
});

export const replicaSetSchema = z
  .object({
    apiVersion: z.string(),
    kind: z.string(),
    metadata: objectMetaSchema,
    spec: replicaSetSpecSchema,
    status: replicaSetStatusSchema.optional(),
  })
  .describe('Ensures a number of pod replicas run.');
export type ReplicaSet = z.infer<typeof replicaSetSchema>;
