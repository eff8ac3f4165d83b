/** apps/v1 Deployment: declarative rollout of ReplicaSets. */
import { z } from 'zod';
import { conditionSchema, intOrString, labelSelectorSchema, objectMetaSchema } from './meta.js';
import { podTemplateSpecSchema } from './pod.js';

export const deploymentStrategySchema = z.object({
  type: z.string().optional().describe('RollingUpdate (default) or Recreate.'),
  rollingUpdate: z
    .object({
      maxUnavailable: intOrString('Pods that may be unavailable during the update (number or percent, default 25%).').optional(),
      maxSurge: intOrString('Pods that may exist above the desired count (number or percent, default 25%).').optional(),
    })
    .optional(),
});

export const deploymentSpecSchema = z
  .object({
    replicas: z.number().int().optional().describe('Desired number of pods (default 1).'),
    selector: labelSelectorSchema.describe('Selects the pods; must match the template labels; immutable.'),
    template: podTemplateSpecSchema,
    strategy: deploymentStrategySchema.optional(),
    minReadySeconds: z.number().int().optional(),
    revisionHistoryLimit: z.number().int().optional().describe('Old ReplicaSets to keep (default 10).'),
    paused: z.boolean().optional(),
    progressDeadlineSeconds: z.number().int().optional().describe('Seconds before a rollout is reported stalled (default 600).'),
  })
  .describe('The desired state of a deployment.');
export type DeploymentSpec = z.infer<typeof deploymentSpecSchema>;

export const deploymentStatusSchema = z.object({
  observedGeneration: z.number().int().optional(),
  replicas: z.number().int().optional(),
  updatedReplicas: z.number().int().optional(),
  readyReplicas: z.number().int().optional(),
  availableReplicas: z.number().int().optional(),
  unavailableReplicas: z.number().int().optional(),
  terminatingReplicas: z.number().int().optional(),
  conditions: z.array(conditionSchema).optional(),
  collisionCount: z.number().int().optional(),
});

export const deploymentSchema = z
  .object({
    apiVersion: z.string(),
    kind: z.string(),
    metadata: objectMetaSchema,
    spec: deploymentSpecSchema,
    status: deploymentStatusSchema.optional(),
  })
  .describe('Declarative updates for pods and ReplicaSets.');
export type Deployment = z.infer<typeof deploymentSchema>;
