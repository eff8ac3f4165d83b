import type { Invocation } from './context.js';
import { isDelegated } from './delegate-ipam.js';
import { CniCode, CniError } from './errors.js';
import { HOST_VETH_PREFIX, hostVethName, MASQ_CHAIN_PREFIX, masqChainName } from './names.js';
import { builtinIpam } from './settings.js';

/**
 * GC: releases everything of this network that belongs to no attachment in
 * `cni.dev/valid-attachments` — IP reservations, host veths on our bridge, masquerade chains.
 * It continues past individual failures and reports them together.
 */
export async function cmdGc(inv: Invocation): Promise<undefined> {
  const { config, deps } = inv;
  const valid = config['cni.dev/valid-attachments'] ?? config['cni.dev/attachments'];
  if (!valid) throw new CniError(CniCode.InvalidConfig, 'GC needs cni.dev/valid-attachments in the network configuration');
  const keep = new Set(valid.map((a) => `${a.containerID}\0${a.ifname}`));
  const vethKeep = new Set(valid.map((a) => hostVethName(a.containerID, a.ifname)));
  const chainKeep = new Set(valid.map((a) => masqChainName(config.name, a.containerID, a.ifname)));
  const problems: string[] = [];
  if (!isDelegated(inv)) {
    await builtinIpam(inv, false)
      .releaseUnless((id, ifName) => keep.has(`${id}\0${ifName}`))
      .catch((err: Error) => problems.push(`ipam: ${err.message}`));
  }
  const host = deps.openNetlink();
  try {
    const stale = (await host.listLinks()).filter((l) => l.name.startsWith(HOST_VETH_PREFIX) && l.master === config.bridge && !vethKeep.has(l.name));
    for (const l of stale) await host.apply([{ op: 'link.del', name: l.name }]).catch((err: Error) => problems.push(`veth ${l.name}: ${err.message}`));
  } catch (err) {
    problems.push(`links: ${(err as Error).message}`);
  } finally {
    host.close();
  }
  try {
    for (const chain of await deps.masq.list(MASQ_CHAIN_PREFIX))
      if (!chainKeep.has(chain)) await deps.masq.remove(chain).catch((err: Error) => problems.push(`chain ${chain}: ${err.message}`));
  } catch (err) {
    problems.push(`ipMasq: ${(err as Error).message}`);
  }
  if (problems.length) throw new CniError(CniCode.Kernel, 'GC could not remove everything', problems.join('; '));
  return undefined;
}
