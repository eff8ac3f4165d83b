import { NetlinkError } from '../../kernel/netlink/types.js';
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
  const host = deps.openNetlink();
  try {
    await host.apply([{ op: 'link.del', name: hostVethName(env.containerId, env.ifName) }]);
  } catch (err) {
    if (!(err instanceof NetlinkError && err.kind === 'not-found')) problems.push(`veth: ${(err as Error).message}`);
  } finally {
    host.close();
  }
  const subnet = subnetOf(inv).optional();
  if (opts.masq ?? (effectiveIpMasq(inv, subnet) || (inv.config.ipMasq === undefined && !subnet))) {
    try {
      await deps.masq.remove(masqChainName(inv.config.name, env.containerId, env.ifName));
    } catch (err) {
      problems.push(`ipMasq: ${(err as Error).message}`);
    }
  }
  try {
    if (isDelegated(inv)) await execDelegate(inv, 'DEL');
    else await builtinIpam(inv, false).release(env.containerId, env.ifName);
  } catch (err) {
    problems.push(`ipam: ${(err as Error).message}`);
  }
  if (problems.length) throw new CniError(CniCode.Kernel, 'could not remove the attachment completely', problems.join('; '));
}
