import type { Service, ServicePort } from '../../api/service.js';
import { timeSince } from './human-duration.js';
import { formatLabelMap } from './label-format.js';
import { AGE_COLUMN, NAME_COLUMN, column, type Printer } from './types.js';

/** `80/TCP`, or `80:30080/TCP` with a node port, comma-joined; `<none>` without ports. */
export const formatServicePorts = (ports: readonly ServicePort[] | undefined): string => {
  const text = (ports ?? [])
    .map((p) => (p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol ?? 'TCP'}` : `${p.port}/${p.protocol ?? 'TCP'}`))
    .join(',');
  return text || '<none>';
};

/** EXTERNAL-IP as kubectl shows it: external IPs, load-balancer ingress or `<pending>`, the ExternalName. */
export const serviceExternalIP = (svc: Service): string => {
  const spec = svc.spec ?? {};
  const externalIPs = spec.externalIPs ?? [];
  switch (spec.type ?? 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const ingress = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname || '').filter(Boolean);
      const all = [...ingress, ...externalIPs];
      return all.length > 0 ? all.join(',') : '<pending>';
    }
    case 'ExternalName':
      return spec.externalName ?? '';
    default:
      return '<unknown>';
  }
};

/** Services: NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE, wide SELECTOR. */
export const servicePrinter: Printer<Service> = {
  columns: [
    NAME_COLUMN,
    column('Type', 'How the service is exposed: ClusterIP, NodePort, LoadBalancer or ExternalName.'),
    column('Cluster-IP', 'The virtual IP address of the service.'),
    column('External-IP', 'Addresses outside the cluster that reach the service.'),
    column('Port(s)', 'Service ports, with node ports, and protocols.'),
    AGE_COLUMN,
    column('Selector', 'Labels of the pods behind the service.', { priority: 1 }),
  ],
  row(svc, now) {
    const spec = svc.spec ?? {};
    return {
      cells: [
        svc.metadata?.name ?? '',
        spec.type ?? 'ClusterIP',
        spec.clusterIPs?.[0] || spec.clusterIP || '<none>',
        serviceExternalIP(svc),
        formatServicePorts(spec.ports),
        timeSince(svc.metadata?.creationTimestamp, now),
        formatLabelMap(spec.selector),
      ],
    };
  },
};
