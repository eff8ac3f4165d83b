import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { realMasqChains } from '../../kernel/ipmasq.js';
import { applyInNetns, openIpNetlink } from '../../kernel/netlink/ip-command.js';
import { realNetns } from '../../kernel/netns.js';
import { realSysctl } from '../../kernel/sysctl.js';
import { loadNodeSubnet } from '../ipam/ipam.js';
import type { Deps } from './context.js';

/**
 * The plugin's real kernel access. Netlink goes through iproute2 rather than the native
 * `netlink` addon: the addon is a .node file that cannot be part of the one self-contained
 * plugin file (there is no node_modules beside /opt/cni/bin/sextant), and the pod side needs a
 * process in the pod's namespace anyway (no setns in Node). An ADD runs two children: the host
 * side (`ip -batch`, which also takes the IPAM flock for us) and the pod side (nsenter → sh →
 * `ip -batch`, with the arp_notify sysctl).
 */
export function realDeps(): Deps {
  return {
    // Blocking children (spawnSync): this process has nothing else to do while one runs, and
    // no streams get built around the pipes. Other children (iptables) still run alongside.
    openNetlink: (netnsPath, opts) => openIpNetlink(netnsPath, { ...opts, blocking: true }),
    configureNetns: (netnsPath, ops, sysctls) => applyInNetns(netnsPath, ops, sysctls, { blocking: true }),
    sysctl: realSysctl,
    netns: realNetns,
    masq: realMasqChains,
    readSubnetFile: loadNodeSubnet,
    environ: process.env,
    isExecutable(path) {
      try {
        accessSync(path, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    },
    execPlugin: (path, env, stdin) =>
      new Promise((resolve) => {
        const child = execFile(path, [], { env, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
          const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
          resolve({ code, stdout, stderr });
        });
        child.stdin?.end(stdin);
      }),
  };
}
