/** core/v1 Endpoints: the legacy per-service address list (EndpointSlice supersedes it). */
import { z } from 'zod';
import { objectMetaSchema, objectReferenceSchema } from './meta.js';

export const endpointAddressSchema = z.object({
  ip: z.string(),
  hostname: z.string().optional(),
  nodeName: z.string().optional(),
  targetRef: objectReferenceSchema.optional(),
});

export const endpointsPortSchema = z.object({
  name: z.string().optional(),
  port: z.number().int(),
  protocol: z.string().optional(),
  appProtocol: z.string().optional(),
});

export const endpointSubsetSchema = z.object({
  addresses: z.array(endpointAddressSchema).optional(),
  notReadyAddresses: z.array(endpointAddressSchema).optional(),
  ports: z.array(endpointsPortSchema).optional(),
});

export const endpointsSchema = z
  .object({
    apiVersion: z.string(),
    kind: z.string(),
    metadata: objectMetaSchema,
    subsets: z.array(endpointSubsetSchema).optional(),
  })
  .describe('The addresses implementing a service (legacy API).');
export type Endpoints = z.infer<typeof endpointsSchema>;
