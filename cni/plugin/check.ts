import type { Invocation } from './context.js';
import { execDelegate, isDelegated } from './delegate-ipam.js';
import { CniCode, CniError } from './errors.js';
import { hostVethName } from './names.js';
import { normaliseResult } from './result.js';
import { builtinIpam } from './settings.js';

/**
 * CHECK: the attachment still matches prevResult — the pod interface (name, MAC) exists in the
 * sandbox and is up, every address and route is present, the host veth is a port of the bridge,
 * and IPAM still holds the addresses. Each mismatch is named in the error (code 103).
 */
export async function cmdCheck(inv: Invocation): Promise<undefined> {
  const { env, config, deps } = inv;
  if (!config.prevResult) throw new CniError(CniCode.InvalidConfig, 'CHECK needs prevResult in the network configuration');
  const prev = normaliseResult(config.prevResult);
  if (!deps.netns.exists(env.netns)) throw new CniError(CniCode.UnknownContainer, `network namespace ${env.netns} does not exist`);
  const podIdx = prev.interfaces?.findIndex((i) => i.name === env.ifName && i.sandbox !== undefined) ?? -1;
  if (podIdx < 0) throw new CniError(CniCode.CheckFailed, `prevResult has no interface ${env.ifName} in a sandbox`);
  const podIf = prev.interfaces![podIdx]!;
  const problems: string[] = [];
  const pod = deps.openNetlink(env.netns);
  const host = deps.openNetlink();
  try {
    const [link, addrs, routes, veth] = await Promise.all([
      pod.getLink(env.ifName),
      pod.listAddresses(env.ifName),
      pod.listRoutes(),
      host.getLink(hostVethName(env.containerId, env.ifName)),
    ]);
    if (!link) problems.push(`interface ${env.ifName} is missing in ${env.netns}`);
    else {
      if (podIf.mac && link.mac.toLowerCase() !== podIf.mac.toLowerCase()) problems.push(`interface ${env.ifName} has MAC ${link.mac}, expected ${podIf.mac}`);
      if (!link.up) problems.push(`interface ${env.ifName} is down`);
    }
    const have = new Set(addrs.map((a) => a.cidr));
    for (const ip of prev.ips ?? [])
      if ((ip.interface === undefined || ip.interface === podIdx) && !have.has(ip.address)) problems.push(`address ${ip.address} is missing on ${env.ifName}`);
    for (const r of prev.routes ?? [])
      if (!routes.some((x) => x.dst === r.dst && (!r.gw || x.gw === r.gw))) problems.push(`route ${r.dst}${r.gw ? ` via ${r.gw}` : ''} is missing`);
    if (!veth) problems.push(`host veth ${hostVethName(env.containerId, env.ifName)} is missing`);
    else if (veth.master !== config.bridge) problems.push(`host veth ${veth.name} is not a port of ${config.bridge}`);
  } finally {
    pod.close();
    host.close();
  }
  if (isDelegated(inv)) await execDelegate(inv, 'CHECK');
  else {
    const held = new Set(builtinIpam(inv, false).store.findByOwner(env.containerId, env.ifName));
    for (const ip of prev.ips ?? []) if (!held.has(ip.address.split('/')[0]!)) problems.push(`IPAM holds no reservation of ${ip.address} for ${env.containerId}`);
  }
  if (problems.length) throw new CniError(CniCode.CheckFailed, `attachment differs from prevResult: ${problems.join('; ')}`);
  return undefined;
}
