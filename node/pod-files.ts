import type { Pod } from '../controller/api/index.js';

export interface DnsSettings {
  /** Cluster DNS server addresses (`--cluster-dns`). */
  clusterDns: string[];
  clusterDomain: string;
  /** The node's own resolv.conf text, for dnsPolicy Default. */
  hostResolvConf: string;
}

/**
 * The pod's resolv.conf as the kubelet builds it. ClusterFirst: the cluster DNS servers, search
 * `<ns>.svc.<domain> svc.<domain> <domain>` and `ndots:5`; Default: the node's own file; None:
 * only `dnsConfig`. `dnsConfig` nameservers, searches and options are merged in (options by name).
 */
export function resolvConf(pod: Pod, s: DnsSettings): string {
  const policy = pod.spec.dnsPolicy ?? 'ClusterFirst';
  let servers: string[] = [];
  let searches: string[] = [];
  let options: { name: string; value?: string }[] = [];
  if (policy === 'Default' || (policy === 'ClusterFirst' && (pod.spec.hostNetwork ?? false)) || (policy === 'ClusterFirst' && s.clusterDns.length === 0)) {
    for (const line of s.hostResolvConf.split('\n')) {
      const [k, ...rest] = line.trim().split(/\s+/);
      if (k === 'nameserver' && rest[0]) servers.push(rest[0]);
      else if (k === 'search') searches = rest;
      else if (k === 'options') options = rest.map(parseOption);
    }
  } else if (policy !== 'None') {
    const ns = pod.metadata.namespace ?? 'default';
    servers = [...s.clusterDns];
    searches = [`${ns}.svc.${s.clusterDomain}`, `svc.${s.clusterDomain}`, s.clusterDomain];
    options = [{ name: 'ndots', value: '5' }];
  }
  const dc = pod.spec.dnsConfig;
  for (const n of dc?.nameservers ?? []) if (!servers.includes(n)) servers.push(n);
  for (const x of dc?.searches ?? []) if (!searches.includes(x)) searches.push(x);
  for (const o of dc?.options ?? []) {
    if (!o.name) continue;
    options = options.filter((x) => x.name !== o.name);
    options.push({ name: o.name, ...(o.value !== undefined ? { value: o.value } : {}) });
  }
  const lines = [...servers.slice(0, 3).map((n) => `nameserver ${n}`)];
  if (searches.length) lines.push(`search ${searches.slice(0, 32).join(' ')}`);
  if (options.length) lines.push(`options ${options.map((o) => (o.value !== undefined ? `${o.name}:${o.value}` : o.name)).join(' ')}`);
  return lines.join('\n') + '\n';
}

function parseOption(text: string): { name: string; value?: string } {
  const i = text.indexOf(':');
  return i < 0 ? { name: text } : { name: text.slice(0, i), value: text.slice(i + 1) };
}

/**
 * The pod's hosts file as the kubelet writes it: localhost entries, the pod's own address with
 * its hostname (and `<hostname>.<subdomain>.<ns>.svc.<domain>` when a subdomain is set), then
 * `hostAliases`.
 */
export function hostsFile(pod: Pod, podIp: string | undefined, clusterDomain: string): string {
  const lines = [
    '# Kubernetes-managed hosts file (sextant node agent).',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
  ];
  const hostname = pod.spec.hostname ?? pod.metadata.name ?? 'pod';
  if (podIp) {
    const fqdn = pod.spec.subdomain ? `${hostname}.${pod.spec.subdomain}.${pod.metadata.namespace ?? 'default'}.svc.${clusterDomain}` : undefined;
    lines.push(fqdn ? `${podIp}\t${fqdn}\t${hostname}` : `${podIp}\t${hostname}`);
  }
  for (const a of pod.spec.hostAliases ?? []) if (a.hostnames?.length) lines.push(`${a.ip}\t${a.hostnames.join('\t')}`);
  return lines.join('\n') + '\n';
}
