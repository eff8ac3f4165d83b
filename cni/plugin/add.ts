import { NetlinkError } from '../../kernel/netlink/types.js';
import type { Invocation } from './context.js';
import { execDelegate, isDelegated } from './delegate-ipam.js';
import { CniCode, CniError } from './errors.js';
import { bridgePlan, podPlan, resultRoutes, vethPlan, type AttachSpec } from './attach-plan.js';
import { hostVethName, masqChainName, randomMac } from './names.js';
import { renderResult, type CniResult } from './result.js';
import { builtinIpam, effectiveIpMasq, subnetOf } from './settings.js';
import { teardown } from './teardown.js';
import { cidrString, parseCidr } from '../ipam/ipv4.js';

/** MTU when neither the config nor the subnet file gives one. */
const FALLBACK_MTU = 1500;

/**
 * ADD: reserve addresses, build the bridge + veth attachment, configure the pod side, install
 * the masquerade chain, print the result. Any failure after the reservation runs the same
 * teardown as DEL, so nothing is left behind.
 */
export async function cmdAdd(inv: Invocation): Promise<Record<string, unknown>> {
  const { env, config, deps } = inv;
  if (!deps.netns.exists(env.netns)) throw new CniError(CniCode.UnknownContainer, `network namespace ${env.netns} does not exist`);
  if (deps.netns.isOwn(env.netns)) throw new CniError(CniCode.InvalidNetns, `CNI_NETNS ${env.netns} is the plugin's own network namespace`);
  const subnet = subnetOf(inv);
  const delegated = isDelegated(inv);
  const ipam = delegated ? undefined : builtinIpam(inv, true);
  const host = deps.openNetlink();
  const bridgeLookup = Promise.all([host.getLink(config.bridge), host.listAddresses(config.bridge)]);
  bridgeLookup.catch(() => undefined);

  const allocated = delegated ? await execDelegate(inv, 'ADD') : await ipam!.allocate(env.containerId, env.ifName, env.args.IP);
  try {
    const ips = (allocated?.ips ?? []).map((ip) => ({ ...ip, interface: 2 }));
    if (!ips.length) throw new CniError(CniCode.DelegateFailed, 'IPAM returned no addresses');
    const [existing, bridgeAddrs] = await bridgeLookup;
    if (existing && existing.kind !== 'bridge')
      throw new CniError(CniCode.Kernel, `${config.bridge} already exists and is not a bridge (kind ${existing.kind ?? 'unknown'})`);
    const routes = resultRoutes([...(allocated?.routes ?? []), ...(config.ipam?.routes ?? [])], ips, config.isDefaultGateway);
    const spec: AttachSpec = {
      bridge: config.bridge,
      existingBridge: existing,
      bridgeAddresses: bridgeAddrs.map((a) => a.cidr),
      bridgeMac: existing?.mac ?? randomMac(),
      hostVeth: hostVethName(env.containerId, env.ifName),
      hostMac: randomMac(),
      podIfName: env.ifName,
      podMac: randomMac(),
      netns: env.netns,
      mtu: config.mtu ?? subnet.optional()?.mtu ?? FALLBACK_MTU,
      isGateway: config.isGateway,
      isDefaultGateway: config.isDefaultGateway,
      hairpin: config.hairpinMode,
      promisc: config.promiscMode,
      ips,
      routes,
    };
    await ensureBridge(inv, spec);
    try {
      await host.apply(vethPlan(spec));
    } catch (err) {
      if (err instanceof NetlinkError && err.kind === 'exists' && /peer|veth/.test(err.message))
        throw new CniError(CniCode.Kernel, `container interface ${env.ifName} or host veth ${spec.hostVeth} already exists`, err.message);
      throw kernelError('host side', err);
    }
    const pod = deps.openNetlink(env.netns);
    const masqOn = effectiveIpMasq(inv, subnet.optional());
    await Promise.all([
      pod.apply(podPlan(spec)).catch((err) => {
        throw kernelError('pod side', err);
      }),
      deps.sysctl.set(env.netns, { [`net.ipv4.conf.${env.ifName}.arp_notify`]: '1' }).catch((err) => {
        throw kernelError('pod sysctl', err);
      }),
      config.isGateway ? deps.sysctl.set(undefined, { 'net.ipv4.ip_forward': '1' }) : undefined,
      masqOn
        ? deps.masq
            .add(
              masqChainName(config.name, env.containerId, env.ifName),
              ips[0]!.address.split('/')[0]!,
              [subnet.optional()?.network ?? cidrString(parseCidr(ips[0]!.address))],
              `name: ${config.name} id: ${env.containerId}`,
            )
            .catch((err) => {
              throw new CniError(CniCode.Iptables, 'ipMasq chain could not be installed', (err as Error).message);
            })
        : undefined,
    ]).finally(() => pod.close());
    const result: Omit<CniResult, 'cniVersion'> = {
      interfaces: [
        { name: spec.bridge, mac: spec.bridgeMac },
        { name: spec.hostVeth, mac: spec.hostMac },
        { name: env.ifName, mac: spec.podMac, sandbox: env.netns },
      ],
      ips,
      routes,
      dns: config.dns ?? allocated?.dns ?? {},
    };
    return renderResult(result, inv.version);
  } catch (err) {
    await teardown(inv, { masq: true }).catch(() => undefined);
    throw err;
  } finally {
    host.close();
  }
}

/**
 * Brings the bridge to the wanted state. Parallel ADDs race to create the bridge and its
 * gateway address; losing the race ("exists") just means re-reading and going on.
 */
async function ensureBridge(inv: Invocation, spec: AttachSpec): Promise<void> {
  const host = inv.deps.openNetlink();
  try {
    for (let attempt = 0; ; attempt++) {
      const ops = bridgePlan(spec);
      if (!ops.length) return;
      try {
        await host.apply(ops);
        return;
      } catch (err) {
        if (!(err instanceof NetlinkError && err.kind === 'exists') || attempt >= 3) throw kernelError('bridge', err);
        const [link, addrs] = await Promise.all([host.getLink(spec.bridge), host.listAddresses(spec.bridge)]);
        if (link && link.kind !== 'bridge') throw new CniError(CniCode.Kernel, `${spec.bridge} already exists and is not a bridge`);
        spec.existingBridge = link;
        spec.bridgeAddresses = addrs.map((a) => a.cidr);
        if (link) spec.bridgeMac = link.mac;
      }
    }
  } finally {
    host.close();
  }
}

function kernelError(where: string, err: unknown): CniError {
  if (err instanceof CniError) return err;
  return new CniError(CniCode.Kernel, `${where}: ${(err as Error).message}`);
}
