import { accessSync, constants } from 'node:fs';
import { realMasqChains } from '../../kernel/ipmasq.js';
import { childProcess } from '../../kernel/exec-tool.js';
import { applyInNetnsNative, openNativeNetlink } from '../../kernel/netlink/native.js';
import { openIpNetlink } from '../../kernel/netlink/ip-command.js';
import { realNetns } from '../../kernel/netns.js';
import { realSysctl } from '../../kernel/sysctl.js';
import { loadSxSys, type SxSys } from '../../native/sxsys.js';
import { useNativeFlock } from '../ipam/flock.js';
import { loadNodeSubnet } from '../ipam/ipam.js';
import type { Deps } from './context.js';
import { CniCode, CniError } from './errors.js';
import { mark } from './trace.js';

/**
 * The plugin's real kernel access, through the native helper embedded in the plugin file
 * (native/sxsys.c: setns, flock, a NETLINK_ROUTE socket): an ADD without ipMasq runs no child
 * process — the host side on a netlink socket here (the veth's pod end created directly in the
 * pod's namespace), the pod side on a socket opened inside the pod's namespace, the IPAM lock
 * with flock(2). The helper is loaded on the first kernel access (VERSION/STATUS never load it);
 * when it cannot be loaded the command fails with a CNI error rather than fall back.
 * A pod-side handle's table listings (CHECK) still run iproute2 (see kernel/netlink/native.ts).
 */
export function realDeps(): Deps {
  let sys: SxSys | undefined;
  const native = (): SxSys => {
    if (sys) return sys;
    try {
      sys = loadSxSys();
    } catch (err) {
      throw new CniError(CniCode.Kernel, 'the plugin cannot reach the kernel: its native helper did not load', (err as Error).message);
    }
    useNativeFlock((fd, ms) => sys!.flock(fd, ms));
    mark('native helper loaded');
    return sys;
  };
  return {
    openNetlink: (netnsPath) => (netnsPath ? openIpNetlink(netnsPath, { blocking: true }) : openNativeNetlink(native())),
    configureNetns: (netnsPath, ops, sysctls) => applyInNetnsNative(native(), netnsPath, ops, sysctls),
    kernelAccess: () => void native(),
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
    execPlugin: async (path, env, stdin) => {
      const cp = await childProcess();
      return new Promise((resolve) => {
        const child = cp.execFile(path, [], { env, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
          const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
          resolve({ code, stdout, stderr });
        });
        child.stdin?.end(stdin);
      });
    },
  };
}
