/**
 * `sextant cluster up|down|status|exec|restart|list`: a whole cluster on this machine, built
 * from network namespaces (see cluster/README.md). One flag set for every subcommand; each
 * subcommand uses the flags that concern it. `cluster forward` is the loopback forwarder process
 * that `up` starts.
 */
import { readdirSync, writeFileSync, existsSync } from 'node:fs';
import { z } from 'zod';
import { defineCommand } from '../daemon/command.js';
import { flagTypes } from '../daemon/flags.js';
import { createLogger } from '../daemon/logger.js';
import { onShutdown } from '../daemon/shutdown.js';
import { clusterDown } from './down.js';
import { ClusterError } from './errors.js';
import { execIn, resolveTarget } from './exec.js';
import { startForwarder } from './forwarder.js';
import { DATA_ROOT, STATE_ROOT } from './layout.js';
import { restartDaemon } from './restart.js';
import { readState, stateFilePath } from './state.js';
import { formatStatus, readStatus } from './status.js';
import { renderSvg } from './svg.js';
import { clusterUp, nextSteps } from './up.js';

const USAGE = `sextant cluster up [--nodes 3] [--name sx] [--kubeconfig FILE] [--data-dir D]
       sextant cluster status [--name sx] [--svg FILE] [--json]
       sextant cluster exec [--name sx] <outside|NODE|pod/NAME [-n NAMESPACE]> -- CMD [ARGS...]
       sextant cluster restart [--name sx] <agent/NODE|server|forwarder>
       sextant cluster down [--name sx]
       sextant cluster list`;

/** `-n NS` / `--namespace NS` before the host in `cluster exec`: returns the namespace and the rest. */
export function splitExecArgs(args: string[], flagNamespace: string | undefined): { namespace: string; target: string | undefined; argv: string[] } {
  let namespace = flagNamespace ?? 'default';
  const rest = [...args];
  while (rest[0] === '-n') {
    rest.shift();
    const v = rest.shift();
    if (!v) throw new ClusterError('CLUSTER_UNKNOWN_HOST', '-n needs a namespace');
    namespace = v;
  }
  const target = rest.shift();
  while (rest[0] === '-n') {
    rest.shift();
    namespace = rest.shift() ?? namespace;
  }
  return { namespace, target, argv: rest };
}

export default defineCommand({
  name: 'cluster',
  usage: USAGE,
  summary: 'A whole local cluster in network namespaces on this machine: control plane, node agents, cluster DNS, an outside client; driven with the real kubectl.',
  flags: {
    name: { help: 'cluster name: part of every namespace, node, link and file it makes', schema: z.string().default('sx') },
    nodes: { help: 'up: nodes in total, the control plane included (tainted NoSchedule when there are workers)', schema: z.coerce.number().int().min(1, 'must be 1-50').max(50, 'must be 1-50').default(3) },
    kubeconfig: { help: 'up: write the kubeconfig here (default: /run/sextant/<name>/kubeconfig, printed)', schema: z.string().min(1).optional() },
    'data-dir': { help: 'up: root of data dirs (store, logs, pod logs); the cluster uses <dir>/<name>', schema: z.string().min(1).default(DATA_ROOT) },
    'state-dir': { help: 'root of state dirs (state file, sockets, kubeconfigs, CNI dirs)', schema: z.string().min(1).default(STATE_ROOT) },
    subnet: { help: 'up: underlay subnet of the hosts', schema: z.string().default('172.28.0.0/24') },
    'dns-replicas': { help: 'up: cluster DNS pods', schema: z.coerce.number().int().min(1, 'must be 1-10').max(10, 'must be 1-10').default(2) },
    timeout: { help: 'up: time limit of each step', schema: flagTypes.duration().prefault('90s') },
    retain: { help: 'up: keep what was made when a step fails (to debug it)', schema: z.boolean().default(false), boolean: true },
    svg: { help: 'status: also draw the topology into this SVG file', schema: z.string().min(1).optional() },
    json: { help: 'status: print the status as JSON', schema: z.boolean().default(false), boolean: true },
    namespace: { help: 'exec: namespace of pod/NAME (also -n)', schema: z.string().optional() },
    socket: { help: 'forward: the API server unix socket', schema: z.string().optional() },
    listen: { help: 'forward: loopback ADDRESS:PORT to serve', schema: flagTypes.hostPort().optional() },
  },
  async run(f, positional) {
    const [sub, ...args] = positional;
    const stateFile = stateFilePath(f.stateDir, f.name);
    const out = (line: string) => process.stdout.write(line + '\n');
    try {
      switch (sub) {
        case 'up': {
          const s = await clusterUp({ name: f.name, nodes: f.nodes, subnet: f.subnet, ...(f.kubeconfig ? { kubeconfig: f.kubeconfig } : {}), dataRoot: f.dataDir, stateRoot: f.stateDir, dnsReplicas: f.dnsReplicas, retain: f.retain, timeoutMs: f.timeout, out });
          out(nextSteps(s));
          return 0;
        }
        case 'down': {
          if (!existsSync(stateFile)) {
            out(`cluster "${f.name}" is not up (no ${stateFile})`);
            return 0;
          }
          out(`Deleting cluster "${f.name}" ...`);
          await clusterDown({ name: f.name, stateRoot: f.stateDir, out });
          return 0;
        }
        case 'status': {
          const st = await readStatus(readState(stateFile));
          if (f.svg) writeFileSync(f.svg, renderSvg(st));
          out(f.json ? JSON.stringify(st, null, 2) : formatStatus(st) + (f.svg ? `\n\ntopology drawn in ${f.svg}` : ''));
          return st.apiHealthy && st.hosts.every((h) => h.netnsPresent && h.ipPresent && (!h.node || h.node.ready)) ? 0 : 1;
        }
        case 'exec': {
          const { namespace, target, argv } = splitExecArgs(args, f.namespace);
          if (!target || argv.length === 0) throw new ClusterError('CLUSTER_UNKNOWN_HOST', 'usage: sextant cluster exec <outside|NODE|pod/NAME> [-n NAMESPACE] -- CMD [ARGS...]');
          const ns = await resolveTarget(readState(stateFile), target, namespace);
          return await execIn(ns, argv);
        }
        case 'restart': {
          const id = args[0];
          if (!id) throw new ClusterError('CLUSTER_UNKNOWN_HOST', 'usage: sextant cluster restart <agent/NODE|server|forwarder>');
          const r = await restartDaemon(readState(stateFile), stateFile, id);
          out(`${id}: ${r.wasRunning ? `stopped pid ${r.before}, ` : `pid ${r.before} was not running, `}started pid ${r.after}`);
          return 0;
        }
        case 'list': {
          let names: string[] = [];
          try {
            names = readdirSync(f.stateDir).filter((n) => existsSync(stateFilePath(f.stateDir, n)));
          } catch {
            /* no clusters */
          }
          out(names.length ? names.join('\n') : 'no clusters');
          return 0;
        }
        case 'forward': {
          if (!f.socket || !f.listen) throw new ClusterError('CLUSTER_PROCESS_FAILED', 'forward needs --socket and --listen');
          const log = createLogger('cluster-forwarder');
          const [host, port] = [f.listen.slice(0, f.listen.lastIndexOf(':')), Number(f.listen.slice(f.listen.lastIndexOf(':') + 1))];
          const fw = await startForwarder({ host, port, socket: f.socket, onError: (err) => log.debug('connection error', { error: err.message }) });
          log.info('forwarding', { listen: `${host}:${fw.port}`, socket: f.socket, cluster: f.name });
          onShutdown(log, () => fw.close());
          await new Promise<never>(() => {});
          return 0;
        }
        default:
          process.stderr.write(`sextant cluster: unknown or missing subcommand ${sub ? `"${sub}"` : ''}\nUsage: ${USAGE}\n`);
          return 2;
      }
    } catch (err) {
      if (err instanceof ClusterError) {
        if (!err.reported) process.stderr.write(`${err.message}\n`);
        return 1;
      }
      throw err;
    }
  },
});
