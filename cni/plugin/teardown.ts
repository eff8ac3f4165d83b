import { NetlinkError } from '../../kernel/netlink/types.js';
import type { PendingLock } from '../ipam/flock.js';
import type { Invocation } from './context.js';
import { execDelegate, isDelegated } from './delegate-ipam.js';
import { CniCode, CniError } from './errors.js';
import { hostVethName, masqChainName } from './names.js';
import { builtinIpam, effectiveIpMasq, subnetOf } from './settings.js';

/**
 * Removes everything an attachment may own, tolerating each piece being gone already: the veth
 * (its pod end goes with it), the masquerade chain, the IP reservation. Shared by DEL and by
 * ADD's rollback, so a failed ADD leaves exactly what DEL would.
 */
export async function teardown(inv: Invocation, opts: { masq?: boolean } = {}): Promise<void> {
  const { env, deps } = inv;
  const problems: string[] = [];
  const note = (what: string) => (err: unknown) => {
    problems.push(`${what}: ${(err as Error).message}`);
  };
  const subnet = subnetOf(inv).optional();
  const masqOn = opts.masq ?? (effectiveIpMasq(inv, subnet) || (inv.config.ipMasq === undefined && !subnet));
  // As in ADD, the host-side `ip` process takes the IPAM lock for the release (one process fewer).
  const delegated = isDelegated(inv);
  const ipam = delegated ? undefined : builtinIpam(inv, false);
  let lock: PendingLock | undefined;
  try {
    lock = ipam?.store.pendingLock();
  } catch {
    /* release() below meets the same problem and reports it */
  }
  const host = deps.openNetlink(undefined, lock ? { lockHandoff: lock } : {});
  // The masquerade chain's iptables processes start first: the host side may run blocking.
  await Promise.all([
    masqOn ? deps.masq.remove(masqChainName(inv.config.name, env.containerId, env.ifName)).catch(note('ipMasq')) : undefined,
    host
      .apply([{ op: 'link.del', name: hostVethName(env.containerId, env.ifName) }])
      .catch((err: unknown) => {
        if (!(err instanceof NetlinkError && err.kind === 'not-found')) note('veth')(err);
      })
      .finally(() => host.close()),
    (ipam ? ipam.release(env.containerId, env.ifName, lock) : execDelegate(inv, 'DEL')).catch(note('ipam')),
  ]);
  if (problems.length) throw new CniError(CniCode.Kernel, 'could not remove the attachment completely', problems.join('; '));
}
