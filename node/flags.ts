import os from 'node:os';
import { z } from 'zod';
import { flagTypes } from '../daemon/flags.js';

const ipv4 = () => z.string().regex(/^\d{1,3}(\.\d{1,3}){3}$/, 'must be an IPv4 address');

/** Flags of the node agent, shared by `sextant node` and `sextant agent`. */
export const nodeFlags = {
  kubeconfig: { help: 'kubeconfig file (default $KUBECONFIG or ~/.kube/config)', schema: z.string().optional() },
  'node-name': { help: 'this node', schema: z.string().min(1).default(os.hostname()) },
  'node-ip': { help: "the node's address (InternalIP; the log endpoint listens on it)", schema: ipv4() },
  netns: { help: "the node's network namespace (ip netns name) for CNI plugins, iptables and the overlay; run the agent itself in it with `nsenter --net=/run/netns/NAME`", schema: z.string().optional() },
  'cni-bin-dir': { help: 'CNI plugin directories (comma-separated)', schema: flagTypes.list().default(['/opt/cni/bin']) },
  'cni-conf-dir': { help: 'CNI network configuration directory', schema: z.string().min(1).default('/etc/cni/net.d') },
  'cni-cache-dir': { help: 'CNI result cache (libcni layout)', schema: z.string().min(1).default('/var/lib/cni') },
  'pod-log-dir': { help: 'per-pod container log files', schema: z.string().min(1).default('/var/log/pods') },
  'state-dir': { help: 'agent state (pod PIDs and namespaces) for adoption after a restart', schema: z.string().min(1).default('/var/lib/sextant/node') },
  'cluster-dns': { help: 'cluster DNS server addresses (comma-separated)', schema: flagTypes.list().default([]) },
  'cluster-domain': { help: 'cluster DNS domain', schema: z.string().min(1).default('cluster.local') },
  'tls-cert-file': { help: "the endpoint's serving certificate (PEM), signed by the cluster CA for the node name (`sextant server --node-credentials` writes credentials/node-NAME-serving.crt); without it a self-signed one, which API servers refuse", schema: z.string().optional() },
  'tls-private-key-file': { help: 'the key of --tls-cert-file (PEM)', schema: z.string().optional() },
  'kubelet-port': { help: 'port of the log endpoint on the node address (the kubelet port)', schema: flagTypes.port().default(10250) },
  'max-pods': { help: 'pods capacity reported on the Node', schema: z.coerce.number().int().min(1).default(110) },
  'crash-backoff': { help: 'first restart back-off; doubles per crash up to --crash-backoff-max', schema: flagTypes.duration().prefault('10s') },
  'crash-backoff-max': { help: 'longest restart back-off', schema: flagTypes.duration().prefault('5m') },
  'status-address': { help: '/healthz /readyz /metrics listener', schema: flagTypes.hostPort().default('127.0.0.1:10248') },
} as const;
