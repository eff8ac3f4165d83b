import { Registry, collectDefaultMetrics } from 'prom-client';
import { ApiClient } from '../controller/api/index.js';
import { defineCommand } from '../daemon/command.js';
import { createLogger } from '../daemon/logger.js';
import { onShutdown } from '../daemon/shutdown.js';
import { startStatusServer } from '../daemon/status-server.js';
import { nodeFlags } from './flags.js';
import { createNodeAgent } from './start.js';

export default defineCommand({
  name: 'node',
  usage: 'sextant node --kubeconfig FILE --node-name NODE --node-ip IP [flags]',
  summary: 'Run the node agent: register the Node, run the Pods bound to it as processes in network namespaces attached by CNI, serve their logs.',
  flags: nodeFlags,
  async run(f) {
    const log = createLogger('node');
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const client = ApiClient.fromKubeconfig(f.kubeconfig);
    const { agent, informers } = createNodeAgent(f, client, log);
    const status = await startStatusServer({ listen: f.statusAddress, registry, ready: () => (agent.ready ? null : 'starting') });
    onShutdown(log, async () => {
      for (const i of informers) i.stop();
      await agent.stop();
      await status.close();
      client.close();
    });
    for (const i of informers) i.start();
    await agent.start();
    await new Promise<never>(() => {});
  },
});
