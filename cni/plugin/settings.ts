import { DEFAULT_SUBNET_FILE, type NodeSubnet } from '../subnet-file.js';
import { Ipam, rangeSetsFor } from '../ipam/ipam.js';
import { CniCode, CniError } from './errors.js';
import type { Invocation } from './context.js';

type SubnetAccess = { required: () => NodeSubnet; optional: () => NodeSubnet | undefined };
const subnetAccess = new WeakMap<Invocation, SubnetAccess>();

/**
 * Reads the node subnet file at most once per invocation. Returns a getter that throws
 * (code 11) when the file is missing, and a tolerant variant for optional defaults.
 */
export function subnetOf(inv: Invocation): SubnetAccess {
  let access = subnetAccess.get(inv);
  if (!access) subnetAccess.set(inv, (access = subnetLoader(inv)));
  return access;
}

/** One invocation's lazy read of the subnet file (ADD asks twice: the MTU and the IPAM ranges). */
function subnetLoader(inv: Invocation): SubnetAccess {
  let cached: NodeSubnet | undefined;
  let error: unknown;
  const path = inv.config.subnetFile ?? DEFAULT_SUBNET_FILE;
  const load = () => {
    if (cached || error) return;
    try {
      cached = inv.deps.readSubnetFile(path);
    } catch (err) {
      error = err;
    }
  };
  return {
    required: () => {
      load();
      if (error) throw error instanceof CniError ? error : new CniError(CniCode.TryAgainLater, `node subnet file ${path}: ${(error as Error).message}`);
      return cached!;
    },
    optional: () => {
      load();
      return cached;
    },
  };
}

/** The built-in IPAM for this invocation (ranges resolved lazily: DEL and GC need none). */
export function builtinIpam(inv: Invocation, withRanges: boolean): Ipam {
  const subnet = subnetOf(inv);
  const sets = withRanges ? rangeSetsFor(inv.config.ipam, subnet.required) : [];
  return new Ipam(inv.config.name, sets, inv.config.ipam?.dataDir);
}

/** Whether pod traffic is masqueraded: the config decides, else the subnet file (default off). */
export function effectiveIpMasq(inv: Invocation, subnet: NodeSubnet | undefined): boolean {
  return inv.config.ipMasq ?? subnet?.ipMasq ?? false;
}
