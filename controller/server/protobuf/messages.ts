/**
 * Field-number tables of the Kubernetes protobuf messages that typed kubectl commands send
 * (`kubectl create namespace`, `create deployment`, `create service`), transcribed from the
 * k8s.io/api and k8s.io/apimachinery `generated.proto` files. Each field names its JSON field
 * and its type; `keepZero` marks pointer fields, whose zero value is meaningful (omitted zero
 * values of plain fields follow Go's `omitempty`).
 */
export type Scalar = 'string' | 'int' | 'bool' | 'bytes';
export type Special = 'time' | 'intOrString' | 'quantity' | 'stringMap' | 'quantityMap';

export interface FieldSpec {
  json: string;
  type: Scalar | Special | { message: string };
  repeated?: boolean;
  keepZero?: boolean;
}

export type MessageSpec = Record<number, FieldSpec>;

const s = (json: string): FieldSpec => ({ json, type: 'string' });
const i = (json: string, keepZero = false): FieldSpec => ({ json, type: 'int', keepZero });
const b = (json: string, keepZero = false): FieldSpec => ({ json, type: 'bool', keepZero });
const m = (json: string, message: string, repeated = false): FieldSpec => ({ json, type: { message }, repeated });
const strings = (json: string): FieldSpec => ({ json, type: 'string', repeated: true });

export const MESSAGES: Record<string, MessageSpec> = {
  TypeMeta: { 1: s('apiVersion'), 2: s('kind') },
  Unknown: { 1: m('typeMeta', 'TypeMeta'), 2: { json: 'raw', type: 'bytes' }, 3: s('contentEncoding'), 4: s('contentType') },
  ObjectMeta: {
    1: s('name'), 2: s('generateName'), 3: s('namespace'), 4: s('selfLink'), 5: s('uid'), 6: s('resourceVersion'),
    7: i('generation'), 8: { json: 'creationTimestamp', type: 'time' }, 9: { json: 'deletionTimestamp', type: 'time' },
    10: i('deletionGracePeriodSeconds', true), 11: { json: 'labels', type: 'stringMap' }, 12: { json: 'annotations', type: 'stringMap' },
    13: m('ownerReferences', 'OwnerReference', true), 14: strings('finalizers'),
  },
  OwnerReference: { 5: s('apiVersion'), 1: s('kind'), 3: s('name'), 4: s('uid'), 6: b('controller', true), 7: b('blockOwnerDeletion', true) },
  LabelSelector: { 1: { json: 'matchLabels', type: 'stringMap' }, 2: m('matchExpressions', 'LabelSelectorRequirement', true) },
  LabelSelectorRequirement: { 1: s('key'), 2: s('operator'), 3: strings('values') },
  Namespace: { 1: m('metadata', 'ObjectMeta'), 2: m('spec', 'NamespaceSpec'), 3: m('status', 'NamespaceStatus') },
  NamespaceSpec: { 1: strings('finalizers') },
  NamespaceStatus: { 1: s('phase') },
  Service: { 1: m('metadata', 'ObjectMeta'), 2: m('spec', 'ServiceSpec'), 3: m('status', 'ServiceStatus') },
  ServiceSpec: {
    1: m('ports', 'ServicePort', true), 2: { json: 'selector', type: 'stringMap' }, 3: s('clusterIP'), 18: strings('clusterIPs'),
    4: s('type'), 5: strings('externalIPs'), 7: s('sessionAffinity'), 8: s('loadBalancerIP'), 9: strings('loadBalancerSourceRanges'),
    10: s('externalName'), 11: s('externalTrafficPolicy'), 12: i('healthCheckNodePort'), 13: b('publishNotReadyAddresses'),
    19: strings('ipFamilies'), 17: s('ipFamilyPolicy'), 20: b('allocateLoadBalancerNodePorts', true), 21: s('loadBalancerClass'),
    22: s('internalTrafficPolicy'), 23: s('trafficDistribution'),
  },
  ServicePort: { 1: s('name'), 2: s('protocol'), 6: s('appProtocol'), 3: i('port'), 4: { json: 'targetPort', type: 'intOrString' }, 5: i('nodePort') },
  ServiceStatus: { 1: m('loadBalancer', 'LoadBalancerStatus') },
  LoadBalancerStatus: {},
  Deployment: { 1: m('metadata', 'ObjectMeta'), 2: m('spec', 'DeploymentSpec'), 3: m('status', 'DeploymentStatus') },
  DeploymentSpec: {
    1: i('replicas', true), 2: m('selector', 'LabelSelector'), 3: m('template', 'PodTemplateSpec'), 4: m('strategy', 'DeploymentStrategy'),
    5: i('minReadySeconds'), 6: i('revisionHistoryLimit', true), 7: b('paused'), 9: i('progressDeadlineSeconds', true),
  },
  DeploymentStrategy: { 1: s('type'), 2: m('rollingUpdate', 'RollingUpdateDeployment') },
  RollingUpdateDeployment: { 1: { json: 'maxUnavailable', type: 'intOrString' }, 2: { json: 'maxSurge', type: 'intOrString' } },
  DeploymentStatus: {
    1: i('observedGeneration'), 2: i('replicas'), 3: i('updatedReplicas'), 7: i('readyReplicas'), 4: i('availableReplicas'),
    5: i('unavailableReplicas'), 9: i('terminatingReplicas', true), 6: m('conditions', 'DeploymentCondition', true), 8: i('collisionCount', true),
  },
  DeploymentCondition: {
    1: s('type'), 2: s('status'), 6: { json: 'lastUpdateTime', type: 'time' }, 7: { json: 'lastTransitionTime', type: 'time' }, 4: s('reason'), 5: s('message'),
  },
  PodTemplateSpec: { 1: m('metadata', 'ObjectMeta'), 2: m('spec', 'PodSpec') },
  PodSpec: {
    2: m('containers', 'Container', true), 20: m('initContainers', 'Container', true), 3: s('restartPolicy'),
    4: i('terminationGracePeriodSeconds', true), 5: i('activeDeadlineSeconds', true), 6: s('dnsPolicy'),
    7: { json: 'nodeSelector', type: 'stringMap' }, 8: s('serviceAccountName'), 9: s('serviceAccount'),
    21: b('automountServiceAccountToken', true), 10: s('nodeName'), 11: b('hostNetwork'), 12: b('hostPID'), 13: b('hostIPC'),
    27: b('shareProcessNamespace', true), 16: s('hostname'), 17: s('subdomain'), 19: s('schedulerName'),
    24: s('priorityClassName'), 25: i('priority', true), 29: s('runtimeClassName'), 30: b('enableServiceLinks', true),
    31: s('preemptionPolicy'), 35: b('setHostnameAsFQDN', true), 37: b('hostUsers', true),
  },
  Container: {
    1: s('name'), 2: s('image'), 3: strings('command'), 4: strings('args'), 5: s('workingDir'), 6: m('ports', 'ContainerPort', true),
    7: m('env', 'EnvVar', true), 8: m('resources', 'ResourceRequirements'), 13: s('terminationMessagePath'),
    20: s('terminationMessagePolicy'), 14: s('imagePullPolicy'), 16: b('stdin'), 17: b('stdinOnce'), 18: b('tty'), 24: s('restartPolicy'),
  },
  ContainerPort: { 1: s('name'), 2: i('hostPort'), 3: i('containerPort'), 4: s('protocol'), 5: s('hostIP') },
  EnvVar: { 1: s('name'), 2: s('value') },
  ResourceRequirements: { 1: { json: 'limits', type: 'quantityMap' }, 2: { json: 'requests', type: 'quantityMap' } },
};

/** The message of each kind a protobuf body may carry, by `apiVersion/kind`. */
export const TOP_LEVEL: Record<string, string> = {
  'v1/Namespace': 'Namespace',
  'v1/Service': 'Service',
  'apps/v1/Deployment': 'Deployment',
};
