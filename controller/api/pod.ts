/** core/v1 Pod: spec (containers, scheduling, DNS, volumes as opaque) and status. */
import { z } from 'zod';
import {
  conditionSchema,
  intOrString,
  mergeKey,
  objectMetaSchema,
  opaque,
  quantity,
  stringMap,
  timestamp,
} from './meta.js';

export const containerPortSchema = z.object({
  name: z.string().optional().describe('IANA_SVC_NAME, unique within the pod; services may refer to it.'),
  hostPort: z.number().int().optional().describe('Port to expose on the host.'),
  containerPort: z.number().int().describe('Port the container listens on (1-65535).'),
  protocol: z.string().optional().describe('TCP (default), UDP or SCTP.'),
  hostIP: z.string().optional().describe('Host IP to bind the host port to.'),
});
export type ContainerPort = z.infer<typeof containerPortSchema>;

const keyRef = z.object({ name: z.string().optional(), key: z.string(), optional: z.boolean().optional() });

export const envVarSchema = z.object({
  name: z.string().describe('Environment variable name.'),
  value: z.string().optional().describe('Value; $(VAR) references are expanded.'),
  valueFrom: z
    .object({
      fieldRef: z.object({ apiVersion: z.string().optional(), fieldPath: z.string() }).optional(),
      resourceFieldRef: z
        .object({ containerName: z.string().optional(), resource: z.string(), divisor: quantity.optional() })
        .optional(),
      configMapKeyRef: keyRef.optional(),
      secretKeyRef: keyRef.optional(),
    })
    .optional()
    .describe('Source of the value when value is empty.'),
});
export type EnvVar = z.infer<typeof envVarSchema>;

const nameRef = z.object({ name: z.string().optional(), optional: z.boolean().optional() });
export const envFromSourceSchema = z.object({
  prefix: z.string().optional(),
  configMapRef: nameRef.optional(),
  secretRef: nameRef.optional(),
});

export const resourceRequirementsSchema = z
  .object({
    limits: z.record(z.string(), quantity).optional().describe('Maximum compute resources.'),
    requests: z.record(z.string(), quantity).optional().describe('Minimum compute resources.'),
    claims: z.array(z.looseObject({})).optional(),
  })
  .describe('Compute resource requirements.');

export const volumeMountSchema = z.object({
  name: z.string().describe('Name of a pod volume.'),
  readOnly: z.boolean().optional(),
  recursiveReadOnly: z.string().optional(),
  mountPath: z.string().describe('Path within the container.'),
  subPath: z.string().optional(),
  mountPropagation: z.string().optional(),
  subPathExpr: z.string().optional(),
});

const httpGetAction = z.object({
  path: z.string().optional(),
  port: intOrString('Port number or name.'),
  host: z.string().optional(),
  scheme: z.string().optional(),
  httpHeaders: z.array(z.object({ name: z.string(), value: z.string() })).optional(),
});
const handlerFields = {
  exec: z.object({ command: z.array(z.string()).optional() }).optional(),
  httpGet: httpGetAction.optional(),
  tcpSocket: z.object({ port: intOrString('Port number or name.'), host: z.string().optional() }).optional(),
};

export const probeSchema = z
  .object({
    ...handlerFields,
    grpc: z.object({ port: z.number().int(), service: z.string().optional() }).optional(),
    initialDelaySeconds: z.number().int().optional(),
    timeoutSeconds: z.number().int().optional(),
    periodSeconds: z.number().int().optional(),
    successThreshold: z.number().int().optional(),
    failureThreshold: z.number().int().optional(),
    terminationGracePeriodSeconds: z.number().int().optional(),
  })
  .describe('A health check performed on the container.');
export type Probe = z.infer<typeof probeSchema>;

const lifecycleHandler = z.object({ ...handlerFields, sleep: z.object({ seconds: z.number().int() }).optional() });
export const lifecycleSchema = z.object({
  postStart: lifecycleHandler.optional(),
  preStop: lifecycleHandler.optional(),
  stopSignal: z.string().optional(),
});

export const containerSchema = z
  .object({
    name: z.string().describe('Container name (DNS-1123 label), unique within the pod.'),
    image: z.string().optional().describe('Container image name.'),
    command: z.array(z.string()).optional().describe('Entrypoint array; the image ENTRYPOINT when empty.'),
    args: z.array(z.string()).optional().describe('Arguments to the entrypoint.'),
    workingDir: z.string().optional(),
    ports: z
      .array(containerPortSchema)
      .optional()
      .meta({ description: 'Ports exposed by the container.', ...mergeKey('containerPort'), 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['containerPort', 'protocol'] }),
    envFrom: z.array(envFromSourceSchema).optional(),
    env: z.array(envVarSchema).optional().meta({ description: 'Environment variables.', ...mergeKey('name') }),
    resources: resourceRequirementsSchema.optional(),
    resizePolicy: z.array(z.looseObject({})).optional(),
    restartPolicy: z.string().optional().describe('Always makes an init container a sidecar.'),
    volumeMounts: z.array(volumeMountSchema).optional().meta({ description: 'Volumes to mount.', ...mergeKey('mountPath') }),
    volumeDevices: z.array(z.looseObject({})).optional(),
    livenessProbe: probeSchema.optional(),
    readinessProbe: probeSchema.optional(),
    startupProbe: probeSchema.optional(),
    lifecycle: lifecycleSchema.optional(),
    terminationMessagePath: z.string().optional(),
    terminationMessagePolicy: z.string().optional().describe('File (default) or FallbackToLogsOnError.'),
    imagePullPolicy: z.string().optional().describe('Always, Never or IfNotPresent.'),
    securityContext: opaque('Security options of the container.').optional(),
    stdin: z.boolean().optional(),
    stdinOnce: z.boolean().optional(),
    tty: z.boolean().optional(),
    targetContainerName: z.string().optional().describe('Ephemeral containers only.'),
  })
  .describe('A single application container in a pod.');
export type Container = z.infer<typeof containerSchema>;

export const tolerationSchema = z.object({
  key: z.string().optional(),
  operator: z.string().optional(),
  value: z.string().optional(),
  effect: z.string().optional(),
  tolerationSeconds: z.number().int().optional(),
});
export type Toleration = z.infer<typeof tolerationSchema>;

export const volumeSchema = z.looseObject({ name: z.string().describe('Volume name (DNS-1123 label).') }).describe(
  'A named volume; the source (emptyDir, configMap, hostPath, ...) is stored verbatim.',
);

export const podSpecSchema = z
  .object({
    volumes: z.array(volumeSchema).optional().meta({ description: 'Volumes the containers may mount.', ...mergeKey('name') }),
    initContainers: z
      .array(containerSchema)
      .optional()
      .meta({ description: 'Containers run to completion, in order, before the app containers.', ...mergeKey('name') }),
    containers: z.array(containerSchema).meta({ description: 'The application containers; at least one.', ...mergeKey('name') }),
    ephemeralContainers: z.array(containerSchema).optional().meta(mergeKey('name')),
    restartPolicy: z.string().optional().describe('Always (default), OnFailure or Never.'),
    terminationGracePeriodSeconds: z.number().int().optional().describe('Seconds between SIGTERM and SIGKILL (default 30).'),
    activeDeadlineSeconds: z.number().int().optional(),
    dnsPolicy: z.string().optional().describe('ClusterFirst (default), ClusterFirstWithHostNet, Default or None.'),
    nodeSelector: stringMap('Node labels the pod requires.').optional(),
    serviceAccountName: z.string().optional(),
    serviceAccount: z.string().optional().describe('Deprecated alias of serviceAccountName.'),
    automountServiceAccountToken: z.boolean().optional(),
    nodeName: z.string().optional().describe('The node the pod is bound to; set by the scheduler.'),
    hostNetwork: z.boolean().optional().describe("Use the host's network namespace."),
    hostPID: z.boolean().optional(),
    hostIPC: z.boolean().optional(),
    shareProcessNamespace: z.boolean().optional(),
    securityContext: opaque('Pod-level security attributes.').optional(),
    imagePullSecrets: z.array(z.object({ name: z.string().optional() })).optional().meta(mergeKey('name')),
    hostname: z.string().optional(),
    subdomain: z.string().optional().describe('With a headless service of this name, gives the pod a DNS name.'),
    affinity: opaque('Node and pod (anti-)affinity scheduling rules.').optional(),
    schedulerName: z.string().optional(),
    tolerations: z.array(tolerationSchema).optional(),
    hostAliases: z.array(z.object({ ip: z.string(), hostnames: z.array(z.string()).optional() })).optional().meta(mergeKey('ip')),
    priorityClassName: z.string().optional(),
    priority: z.number().int().optional(),
    dnsConfig: z
      .object({
        nameservers: z.array(z.string()).optional(),
        searches: z.array(z.string()).optional(),
        options: z.array(z.object({ name: z.string().optional(), value: z.string().optional() })).optional(),
      })
      .optional()
      .describe('Extra DNS settings merged into the generated resolv.conf.'),
    readinessGates: z.array(z.object({ conditionType: z.string() })).optional(),
    runtimeClassName: z.string().optional(),
    enableServiceLinks: z.boolean().optional(),
    preemptionPolicy: z.string().optional(),
    overhead: z.record(z.string(), quantity).optional(),
    topologySpreadConstraints: z.array(z.looseObject({})).optional(),
    setHostnameAsFQDN: z.boolean().optional(),
    os: z.object({ name: z.string() }).optional(),
    hostUsers: z.boolean().optional(),
    schedulingGates: z.array(z.object({ name: z.string() })).optional(),
    resourceClaims: z.array(z.looseObject({})).optional(),
    resources: resourceRequirementsSchema.optional(),
  })
  .describe('The desired behaviour of a pod.');
export type PodSpec = z.infer<typeof podSpecSchema>;

const containerStateSchema = z.object({
  waiting: z.object({ reason: z.string().optional(), message: z.string().optional() }).optional(),
  running: z.object({ startedAt: timestamp('Start time.').optional() }).optional(),
  terminated: z
    .object({
      exitCode: z.number().int(),
      signal: z.number().int().optional(),
      reason: z.string().optional(),
      message: z.string().optional(),
      startedAt: timestamp('Start time.').optional(),
      finishedAt: timestamp('Finish time.').optional(),
      containerID: z.string().optional(),
    })
    .optional(),
});

export const containerStatusSchema = z.looseObject({
  name: z.string(),
  state: containerStateSchema.optional(),
  lastState: containerStateSchema.optional(),
  ready: z.boolean(),
  restartCount: z.number().int(),
  image: z.string(),
  imageID: z.string(),
  containerID: z.string().optional(),
  started: z.boolean().optional(),
});
export type ContainerStatus = z.infer<typeof containerStatusSchema>;

const ipEntry = z.object({ ip: z.string() });

export const podStatusSchema = z.looseObject({
  observedGeneration: z.number().int().optional(),
  phase: z.string().optional().describe('Pending, Running, Succeeded, Failed or Unknown.'),
  conditions: z.array(conditionSchema).optional().meta(mergeKey('type')),
  message: z.string().optional(),
  reason: z.string().optional(),
  nominatedNodeName: z.string().optional(),
  hostIP: z.string().optional(),
  hostIPs: z.array(ipEntry).optional(),
  podIP: z.string().optional().describe('The primary pod address from the pod network.'),
  podIPs: z.array(ipEntry).optional().meta(mergeKey('ip')),
  startTime: timestamp('When the kubelet acknowledged the pod.').optional(),
  initContainerStatuses: z.array(containerStatusSchema).optional(),
  containerStatuses: z.array(containerStatusSchema).optional(),
  ephemeralContainerStatuses: z.array(containerStatusSchema).optional(),
  qosClass: z.string().optional(),
});
export type PodStatus = z.infer<typeof podStatusSchema>;

export const podSchema = z
  .object({
    apiVersion: z.string(),
    kind: z.string(),
    metadata: objectMetaSchema,
    spec: podSpecSchema,
    status: podStatusSchema.optional(),
  })
  .describe('A group of containers sharing a network namespace, scheduled onto one node.');
export type Pod = z.infer<typeof podSchema>;

export const podTemplateSpecSchema = z
  .object({ metadata: objectMetaSchema.optional(), spec: podSpecSchema })
  .describe('The pod a controller creates.');
export type PodTemplateSpec = z.infer<typeof podTemplateSpecSchema>;
