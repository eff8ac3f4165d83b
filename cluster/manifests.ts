/**
 * The objects `cluster up` creates through the API, the way kubeadm deploys its add-ons: cluster
 * DNS as a Deployment in kube-system running `sextant dns` (the pod's command is the sextant
 * executable itself: the node agent runs it as a process in the pod's namespace; the image field
 * is recorded, not pulled) behind the conventional `kube-dns` Service at 10.96.0.10.
 */
import type { Deployment, Service } from '../controller/api/index.js';
import { DNS_ENV, dnsArgv } from '../dns/launch.js';

export const DNS_LABELS = { 'k8s-app': 'kube-dns' };
export const CONTROL_PLANE_TAINT = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' } as const;

export interface DnsManifestOptions {
  /** What runs sextant: [node, script]. */
  sextant: [string, string];
  /** Kubeconfig for pods (the `kubernetes` service's address). */
  podKubeconfig: string;
  clusterIP: string;
  replicas: number;
}

export function dnsDeployment(o: DnsManifestOptions): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'coredns', namespace: 'kube-system', labels: { ...DNS_LABELS } },
    spec: {
      replicas: o.replicas,
      selector: { matchLabels: { ...DNS_LABELS } },
      template: {
        metadata: { labels: { ...DNS_LABELS } },
        spec: {
          // As kubeadm's CoreDNS: the node's resolver, not itself; and allowed on the control plane.
          dnsPolicy: 'Default',
          tolerations: [{ key: CONTROL_PLANE_TAINT.key, operator: 'Exists', effect: 'NoSchedule' }],
          containers: [
            {
              name: 'coredns',
              image: 'sextant:local',
              // Node options and environment read only at process start (dns/launch.ts: memory).
              command: dnsArgv(o.sextant[0], o.sextant[1]),
              env: Object.entries(DNS_ENV).map(([name, value]) => ({ name, value })),
              // `--upstream=` (empty): the hosts of a local cluster have no upstream resolver.
              args: ['--kubeconfig', o.podKubeconfig, '--listen', '0.0.0.0:53', '--upstream=', '--ttl', '5', '--health-listen', '0.0.0.0:8080', '--ready-listen', '0.0.0.0:8181', '--metrics-listen', '0.0.0.0:9153', '--lameduck', '1s'],
              ports: [
                { name: 'dns', containerPort: 53, protocol: 'UDP' },
                { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
                { name: 'metrics', containerPort: 9153, protocol: 'TCP' },
              ],
              readinessProbe: { httpGet: { path: '/ready', port: 8181 }, periodSeconds: 1 },
              livenessProbe: { httpGet: { path: '/health', port: 8080 }, periodSeconds: 10, failureThreshold: 5 },
            },
          ],
        },
      },
    },
  };
}

export function dnsService(o: Pick<DnsManifestOptions, 'clusterIP'>): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kube-dns', namespace: 'kube-system', labels: { ...DNS_LABELS, 'kubernetes.io/name': 'CoreDNS' } },
    spec: {
      selector: { ...DNS_LABELS },
      clusterIP: o.clusterIP,
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
        { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 },
      ],
    },
  };
}
