/** core/v1 Service: the stable virtual address (ClusterIP, NodePort, ...) in front of pods. */
import { z } from 'zod';
import { conditionSchema, intOrString, mergeKey, objectMetaSchema, stringMap } from './meta.js';

export const servicePortSchema = z
  .object({
    name: z.string().optional().describe('DNS-1123 label; required when there is more than one port.'),
    protocol: z.string().optional().describe('TCP (default), UDP or SCTP.'),
    appProtocol: z.string().optional(),
    port: z.number().int().describe('The port the service exposes (1-65535).'),
    targetPort: intOrString('Number or name of the port on the pods; defaults to port.').optional(),
    nodePort: z.number().int().optional().describe('Port on every node for NodePort/LoadBalancer services.'),
  })
  .describe('A port the service exposes.');
export type ServicePort = z.infer<typeof servicePortSchema>;

export const serviceSpecSchema = z
  .object({
    ports: z
      .array(servicePortSchema)
      .optional()
      .meta({ description: 'Ports the service exposes.', ...mergeKey('port'), 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['port', 'protocol'] }),
    selector: stringMap('Pods with these labels back the service.').optional(),
    clusterIP: z.string().optional().describe('The virtual IP; "None" makes the service headless.'),
    clusterIPs: z.array(z.string()).optional(),
    type: z.string().optional().describe('ClusterIP (default), NodePort, LoadBalancer or ExternalName.'),
    externalIPs: z.array(z.string()).optional(),
    sessionAffinity: z.string().optional().describe('None (default) or ClientIP.'),
    loadBalancerIP: z.string().optional(),
    loadBalancerSourceRanges: z.array(z.string()).optional(),
    externalName: z.string().optional().describe('The DNS name an ExternalName service aliases.'),
    externalTrafficPolicy: z.string().optional().describe('Cluster or Local.'),
    healthCheckNodePort: z.number().int().optional(),
    publishNotReadyAddresses: z.boolean().optional(),
    sessionAffinityConfig: z
      .object({ clientIP: z.object({ timeoutSeconds: z.number().int().optional() }).optional() })
      .optional(),
    ipFamilies: z.array(z.string()).optional().describe('IPv4 and/or IPv6.'),
    ipFamilyPolicy: z.string().optional().describe('SingleStack, PreferDualStack or RequireDualStack.'),
    allocateLoadBalancerNodePorts: z.boolean().optional(),
    loadBalancerClass: z.string().optional(),
    internalTrafficPolicy: z.string().optional().describe('Cluster (default) or Local.'),
    trafficDistribution: z.string().optional(),
  })
  .describe('The desired behaviour of a service.');
export type ServiceSpec = z.infer<typeof serviceSpecSchema>;

export const serviceStatusSchema = z.object({
  loadBalancer: z
    .object({
      ingress: z
        .array(
          z.object({
            ip: z.string().optional(),
            hostname: z.string().optional(),
            ipMode: z.string().optional(),
            ports: z
              .array(z.object({ port: z.number().int(), protocol: z.string(), error: z.string().optional() }))
              .optional(),
          }),
        )
        .optional(),
    })
    .optional(),
  conditions: z.array(conditionSchema).optional(),
});

export const serviceSchema = z
  .object({
    apiVersion: z.string(),
    kind: z.string(),
    metadata: objectMetaSchema,
    spec: serviceSpecSchema,
    status: serviceStatusSchema.optional(),
  })
  .describe('A named abstraction over a set of pods with a stable virtual address.');
export type Service = z.infer<typeof serviceSchema>;
