import type { Command } from '../daemon/command.js';

/**
 * Every `sextant` subcommand, loaded lazily so that a command pays only for what it uses
 * (the CNI plugin and short-lived commands start fast). Each role exports its command from its
 * own `command.ts`.
 */
export const commands: Record<string, { summary: string; load: () => Promise<Command<any>> }> = {
  'install-cni': { summary: 'install the CNI plugin binary and an example conflist', load: async () => (await import('../cni/plugin/install-command.js')).default },
  dns: { summary: 'serve cluster DNS (Kubernetes DNS spec) and forward the rest', load: async () => (await import('../dns/command.js')).default },
  server: { summary: 'run the control plane: Kubernetes API server + embedded store', load: async () => (await import('../controller/server/command.js')).default },
  proxy: { summary: 'program iptables for Services from Service/EndpointSlice watches (kube-proxy iptables mode)', load: async () => (await import('../proxy/command.js')).default },
  trace: { summary: "explain what a node's service rules do with a packet", load: async () => (await import('../proxy/trace-command.js')).default },
  node: { summary: 'run the node agent: register the Node, run its Pods in network namespaces via CNI', load: async () => (await import('../node/command.js')).default },
  agent: { summary: 'run all per-node roles in one process: node agent + overlay + proxy', load: async () => (await import('../node/agent-command.js')).default },
  overlay: { summary: 'connect pod subnets across nodes over VXLAN (flannel vxlan backend)', load: async () => (await import('../cni/overlay/command.js')).default },
  cluster: { summary: 'a whole local cluster in network namespaces: up, down, status, exec, restart', load: async () => (await import('../cluster/command.js')).default },
  version: { summary: 'print the version', load: async () => (await import('./version-command.js')).default },
};
