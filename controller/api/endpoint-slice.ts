/** discovery.k8s.io/v1 EndpointSlice: a chunk of the backends of a service. */
import { z } from 'zod';
import { objectMetaSchema, objectReferenceSchema, stringMap } from './meta.js';

export const endpointSchema = z
  .object({
    addresses: z.array(z.string()).describe('Addresses of this endpoint (one in practice).'),
    conditions: z
      .object({
        ready: z.boolean().optional().describe('The endpoint is ready to receive traffic.'),
        serving: z.boolean().optional(),
        terminating: z.boolean().optional(),
      })
      .optional(),
    hostname: z.string().optional(),
    targetRef: objectReferenceSchema.optional(),
    deprecatedTopology: stringMap('Deprecated topology labels.').optional(),
    nodeName: z.string().optional(),
    zone: z.string().optional(),
    hints: z
      .object({
        forZones: z.array(z.object({ name: z.string() })).optional(),
        forNodes: z.array(z.object({ name: z.string() })).optional(),
      })
      .optional(),
  })
  .describe('One backend in an EndpointSlice.');
export type Endpoint = z.infer<typeof endpointSchema>;

export const endpointPortSchema = z.object({
  name: z.string().optional(),
  protocol: z.string().optional().describe('TCP (default), UDP or SCTP.'),
  port: z.number().int().optional(),
  appProtocol: z.string().optional(),
});
export type EndpointPort = z.infer<typeof endpointPortSchema>;

export const endpointSliceSchema = z
  .object({
    apiVersion: z.string(),
    kind: z.string(),
    metadata: objectMetaSchema,
    addressType: z.string().describe('IPv4, IPv6 or FQDN.'),
    endpoints: z.array(endpointSchema).describe('The backends; at most 1000.'),
    ports: z.array(endpointPortSchema).optional(),
  })
  .describe('A subset of the endpoints of a service.');
export type EndpointSlice = z.infer<typeof endpointSliceSchema>;
