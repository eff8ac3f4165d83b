/** core/v1 Node: a machine in the cluster, its pod CIDR and its reported status. */
import { z } from 'zod';
import { conditionSchema, mergeKey, objectMetaSchema, quantity, timestamp } from './meta.js';

export const taintSchema = z.object({
  key: z.string(),
  value: z.string().optional(),
  effect: z.string().describe('NoSchedule, PreferNoSchedule or NoExecute.'),
  timeAdded: timestamp('When a NoExecute taint was added.').optional(),
});
export type Taint = z.infer<typeof taintSchema>;

export const nodeAddressSchema = z.object({
  type: z.string().describe('Hostname, InternalIP, ExternalIP, InternalDNS or ExternalDNS.'),
  address: z.string(),
});
export type NodeAddress = z.infer<typeof nodeAddressSchema>;

export const nodeSpecSchema = z.object({
  podCIDR: z.string().optional().describe('The pod address range assigned to this node.'),
  podCIDRs: z.array(z.string()).optional(),
  providerID: z.string().optional(),
  unschedulable: z.boolean().optional(),
  taints: z.array(taintSchema).optional(),
  configSource: z.looseObject({}).optional(),
  externalID: z.string().optional(),
});

export const nodeStatusSchema = z.looseObject({
  capacity: z.record(z.string(), quantity).optional(),
  allocatable: z.record(z.string(), quantity).optional(),
  phase: z.string().optional(),
  conditions: z.array(conditionSchema).optional().meta(mergeKey('type')),
  addresses: z.array(nodeAddressSchema).optional().meta(mergeKey('type')),
  daemonEndpoints: z.object({ kubeletEndpoint: z.object({ Port: z.number().int() }).optional() }).optional(),
  nodeInfo: z
    .looseObject({
      machineID: z.string().optional(),
      systemUUID: z.string().optional(),
      bootID: z.string().optional(),
      kernelVersion: z.string().optional(),
      osImage: z.string().optional(),
      containerRuntimeVersion: z.string().optional(),
      kubeletVersion: z.string().optional(),
      kubeProxyVersion: z.string().optional(),
      operatingSystem: z.string().optional(),
      architecture: z.string().optional(),
    })
    .optional(),
  images: z.array(z.looseObject({})).optional(),
  volumesInUse: z.array(z.string()).optional(),
  volumesAttached: z.array(z.looseObject({})).optional(),
});

export const nodeSchema = z
  .object({
    apiVersion: z.string(),
    kind: z.string(),
    metadata: objectMetaSchema,
    spec: nodeSpecSchema.optional(),
    status: nodeStatusSchema.optional(),
  })
  .describe('A worker machine.');
export type Node = z.infer<typeof nodeSchema>;
