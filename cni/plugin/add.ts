import { NetlinkError, type LinkInfo } from '../../kernel/netlink/types.js';
import { cidrString, intToIp, parseCidr } from '../ipam/ipv4.js';
import type { PendingLock } from '../ipam/flock.js';
import type { Allocation } from '../ipam/ipam.js';
import { bridgeCreatePlan, gatewayCidrs, hostPlan, podPlan, resultRoutes, type AttachSpec } from './attach-plan.js';
import type { Invocation } from './context.js';
import { execDelegate, isDelegated } from './delegate-ipam.js';
import { CniCode, CniError } from './errors.js';
import { hostVethName, masqChainName, randomMac } from './names.js';
import { renderResult, type CniResult } from './result.js';
import { builtinIpam, effectiveIpMasq, subnetOf } from './settings.js';
import { teardown } from './teardown.js';
import { mark } from './trace.js';

/** MTU when neither the config nor the subnet file gives one. */
const FALLBACK_MTU = 1500;

/**
 * ADD: reserve addresses and build the host side at the same time (the built-in IPAM knows the
 * gateway before allocating), then configure the pod side (with its sysctl) and the masquerade chain in
 * parallel, and print the result. Any failure after something was created runs the same
 * teardown as DEL (or, when only IPAM failed, removes just the veth this ADD created), so
 * nothing is left behind and an existing attachment is never touched.
 */
export async function cmdAdd(inv: Invocation): Promise<Record<string, unknown>> {
  const { env, config, deps } = inv;
  if (!deps.netns.exists(env.netns)) throw new CniError(CniCode.UnknownContainer, `network namespace ${env.netns} does not exist`);
  if (deps.netns.isOwn(env.netns)) throw new CniError(CniCode.InvalidNetns, `CNI_NETNS ${env.netns} is the plugin's own network namespace`);
  const subnet = subnetOf(inv);
  const delegated = isDelegated(inv);
  const ipam = delegated ? undefined : builtinIpam(inv, true);
  const spec: AttachSpec = {
    bridge: config.bridge,
    bridgeMac: randomMac(),
    gatewayCidrs: ipam ? ipam.sets.map((set) => `${intToIp(set[0]!.gateway)}/${set[0]!.subnet.prefix}`) : [],
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
    ips: [],
    routes: [],
  };

  mark('add: spec ready');
  let allocated: Omit<CniResult, 'cniVersion'> | Allocation | undefined;
  let bridge: LinkInfo;
  if (delegated) {
    allocated = await execDelegate(inv, 'ADD');
    spec.gatewayCidrs = gatewayCidrs(allocated?.ips ?? []);
    try {
      bridge = await attachHost(inv, spec);
    } catch (err) {
      await teardown(inv, { masq: false }).catch(() => undefined);
      throw err;
    }
  } else {
    // The host-side `ip` process also takes the IPAM lock for us (one process fewer; see
    // kernel/exec-tool LockHandoff). attachHost claims it synchronously, before allocate() would
    // take it with a flock process of its own.
    const lock = ipam!.store.pendingLock();
    const [host, alloc] = await Promise.allSettled([
      attachHost(inv, spec, lock).finally(() => mark('add: host side done')),
      ipam!.allocate(env.containerId, env.ifName, env.args.IP, lock).finally(() => mark('add: ipam allocated')),
    ]);
    if (alloc.status === 'rejected') {
      if (host.status === 'fulfilled') await removeVeth(inv, spec.hostVeth);
      throw alloc.reason;
    }
    allocated = alloc.value;
    if (host.status === 'rejected') {
      await teardown(inv, { masq: false }).catch(() => undefined);
      throw host.reason;
    }
    bridge = host.value;
  }

  try {
    spec.ips = (allocated?.ips ?? []).map((ip) => ({ ...ip, interface: 2 }));
    if (!spec.ips.length) throw new CniError(CniCode.DelegateFailed, 'IPAM returned no addresses');
    spec.routes = resultRoutes([...(allocated?.routes ?? []), ...(config.ipam?.routes ?? [])], spec.ips, config.isDefaultGateway);
    const extraGateways = config.isGateway ? gatewayCidrs(spec.ips).filter((g) => !spec.gatewayCidrs.includes(g)) : [];
    const masqOn = effectiveIpMasq(inv, subnet.optional());
    const host = deps.openNetlink();
    // The pod side is one child process: the arp_notify sysctl and the whole plan (see Deps).
    const podSysctls = { [`net/ipv4/conf/${env.ifName}/arp_notify`]: '1' };
    await Promise.all([
      (extraGateways.length ? host.apply(extraGateways.map((cidr) => ({ op: 'addr.replace' as const, addr: { link: spec.bridge, cidr } }))) : Promise.resolve([]))
        .then(() => deps.configureNetns(env.netns, podPlan(spec), podSysctls))
        .finally(() => mark('add: pod side done'))
        .catch((err) => {
          throw kernelError('pod side', err);
        }),
      config.isGateway
        ? deps.sysctl.set(undefined, { 'net.ipv4.ip_forward': '1' }).catch((err) => {
            throw kernelError('ip_forward', err);
          })
        : undefined,
      masqOn
        ? deps.masq
            .add(
              masqChainName(config.name, env.containerId, env.ifName),
              spec.ips[0]!.address.split('/')[0]!,
              [subnet.optional()?.network ?? cidrString(parseCidr(spec.ips[0]!.address))],
              `name: ${config.name} id: ${env.containerId}`,
            )
            .catch((err) => {
              throw new CniError(CniCode.Iptables, 'ipMasq chain could not be installed', (err as Error).message);
            })
        : undefined,
    ]).finally(() => {
      mark('add: pod side + masq done');
      host.close();
    });
    const result: Omit<CniResult, 'cniVersion'> = {
      interfaces: [
        { name: spec.bridge, mac: bridge.mac },
        { name: spec.hostVeth, mac: spec.hostMac },
        { name: env.ifName, mac: spec.podMac, sandbox: env.netns },
      ],
      ips: spec.ips,
      routes: spec.routes,
      dns: config.dns ?? allocated?.dns ?? {},
    };
    return renderResult(result, inv.version);
  } catch (err) {
    await teardown(inv, { masq: true }).catch(() => undefined);
    throw err;
  }
}

/**
 * Host side in one batch (bridge up + gateway + veth + port), reading the bridge back for the
 * result. A missing bridge is created and the batch retried; parallel ADDs racing to create it
 * simply find it on retry.
 */
async function attachHost(inv: Invocation, spec: AttachSpec, lock?: PendingLock): Promise<LinkInfo> {
  const host = inv.deps.openNetlink(undefined, lock ? { lockHandoff: lock } : {});
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        const [bridge] = await host.apply(hostPlan(spec), [spec.bridge]);
        mark('add: host plan applied');
        if (bridge?.kind !== 'bridge') throw new CniError(CniCode.Kernel, `${spec.bridge} exists and is not a bridge (kind ${bridge?.kind ?? 'unknown'})`);
        return bridge;
      } catch (err) {
        if (err instanceof NetlinkError && err.failedOp === 0 && err.kind === 'not-found' && attempt < 3) {
          await host.apply(bridgeCreatePlan(spec)).catch((e: unknown) => {
            if (!(e instanceof NetlinkError && e.kind === 'exists')) throw kernelError('bridge', e);
          });
          continue;
        }
        if (err instanceof NetlinkError && err.kind === 'exists' && /veth/.test(err.message))
          throw new CniError(CniCode.Kernel, `host side: container interface ${spec.podIfName} or host veth ${spec.hostVeth} already exists`, err.message);
        throw kernelError('host side', err);
      }
    }
  } finally {
    host.close();
  }
}

async function removeVeth(inv: Invocation, name: string): Promise<void> {
  const host = inv.deps.openNetlink();
  await host.apply([{ op: 'link.del', name }]).catch(() => undefined);
  host.close();
}

function kernelError(where: string, err: unknown): CniError {
  if (err instanceof CniError) return err;
  return new CniError(CniCode.Kernel, `${where}: ${(err as Error).message}`);
}
