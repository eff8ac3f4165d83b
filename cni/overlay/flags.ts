import os from 'node:os';
import { z } from 'zod';
import { flagTypes } from '../../daemon/flags.js';
import { DEFAULT_SUBNET_FILE } from '../subnet-file.js';
import { parseCidr4, parseIp4 } from './ipv4.js';

const cidr = () => z.string().refine((s) => parseCidr4(s) !== null, 'must be an IPv4 CIDR such as 10.244.0.0/16');

/** Overlay flags, shared by `sextant overlay` and `sextant agent`. */
export const overlayFlags = {
  'iface-addr': { help: 'underlay address of this node (default: the Node InternalIP)', schema: z.string().refine((s) => parseIp4(s) !== null, 'must be an IPv4 address').optional() },
  'cluster-cidr': { help: 'pod CIDR of the whole cluster', schema: cidr().default('10.244.0.0/16') },
  'subnet-file': { help: 'node subnet file the CNI plugin reads', schema: z.string().min(1).default(DEFAULT_SUBNET_FILE) },
  'direct-routing': { help: 'route directly (no VXLAN) to peers on the same underlay subnet', schema: z.boolean().default(false), boolean: true },
  vni: { help: 'VXLAN network identifier', schema: z.coerce.number().int().min(1, 'must be 1-16777215').max(16777215, 'must be 1-16777215').default(1) },
  port: { help: 'VXLAN UDP port', schema: z.coerce.number().int().min(1, 'must be 1-65535').max(65535, 'must be 1-65535').default(8472) },
  'ip-masq': { help: 'masquerade pod traffic leaving the cluster network', schema: z.boolean().default(true), boolean: true },
  'reconcile-period': { help: 'full reconcile (device, chains, entries) this often', schema: flagTypes.duration().prefault('10s') },
} as const;

/** Flags only the standalone `sextant overlay` has. */
export const overlayCommandFlags = {
  kubeconfig: { help: 'kubeconfig file (default $KUBECONFIG or ~/.kube/config)', schema: z.string().optional() },
  'node-name': { help: 'this node', schema: z.string().min(1).default(os.hostname()) },
  netns: { help: "the node's network namespace (ip netns name) to program; default: our own", schema: z.string().optional() },
  'iptables-mode': { help: 'xtables backend: nft or legacy', schema: z.enum(['nft', 'legacy']).default('nft') },
  'status-address': { help: '/healthz /readyz /metrics listener', schema: flagTypes.hostPort().default('127.0.0.1:10260') },
  cleanup: { help: 'remove the VXLAN device, its entries and the SX-OVERLAY chains, then exit', schema: z.boolean().default(false), boolean: true },
  ...overlayFlags,
} as const;
