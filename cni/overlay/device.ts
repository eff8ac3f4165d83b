import type { Logger } from '../../daemon/logger.js';
import type { VxlanAttributes } from '../../kernel/netlink/vxlan-info.js';
import type { Netlink, NetlinkOp } from '../../kernel/netlink/types.js';
import { OverlayError } from './errors.js';

export interface VxlanDeviceSpec {
  name: string;
  vni: number;
  /** UDP port (8472 is the kernel's and flannel's default). */
  port: number;
  /** Underlay address the tunnel sends from. */
  local: string;
  /** Underlay device. */
  device: string;
  mtu: number;
  /** The address the device carries, `/32` (the pod CIDR's network address). */
  address: string;
  /** MAC to create the device with (the one published before a restart), if known. */
  mac: string | undefined;
}

/** Reads VXLAN attributes of a link in the overlay's namespace (injected so tests use the fake kernel). */
export type VxlanReader = (name: string) => Promise<VxlanAttributes | undefined>;

/**
 * Makes the VXLAN device match `spec` and returns its MAC. A device with the wrong VNI, port,
 * local address or with learning on is deleted and recreated (with the published MAC, so peers'
 * neighbour and FDB entries stay valid); MTU, the single /32 address and the up state are fixed in
 * place. Nothing is changed when everything already matches.
 */
export async function ensureVxlanDevice(netlink: Netlink, readVxlan: VxlanReader, spec: VxlanDeviceSpec, log: Logger): Promise<{ mac: string; created: boolean }> {
  let link = await netlink.getLink(spec.name);
  let created = false;
  try {
    if (link) {
      const attrs = await readVxlan(spec.name);
      const wrong =
        !attrs ? 'not a vxlan device'
        : attrs.vni !== spec.vni ? `VNI ${attrs.vni}`
        : attrs.port !== spec.port ? `port ${attrs.port}`
        : attrs.local !== spec.local ? `local ${attrs.local ?? 'unset'}`
        : attrs.learning ? 'learning on'
        : undefined;
      if (wrong) {
        log.warn('recreating the VXLAN device', { device: spec.name, reason: wrong });
        await netlink.apply([{ op: 'link.del', name: spec.name }]);
        link = undefined;
      }
    }
    if (!link) {
      await netlink.apply([
        {
          op: 'link.add',
          link: { kind: 'vxlan', name: spec.name, vni: spec.vni, port: spec.port, local: spec.local, device: spec.device, learning: false, mtu: spec.mtu, ...(spec.mac ? { mac: spec.mac } : {}) },
        },
      ]);
      created = true;
      link = await netlink.getLink(spec.name);
      if (!link) throw new Error('the device vanished right after it was created');
      log.info('created the VXLAN device', { device: spec.name, vni: spec.vni, port: spec.port, local: spec.local, mtu: spec.mtu, mac: link.mac });
    }
    const ops: NetlinkOp[] = [];
    if (link.mtu !== spec.mtu) ops.push({ op: 'link.set', name: spec.name, change: { mtu: spec.mtu } });
    const want = `${spec.address}/32`;
    const addrs = await netlink.listAddresses(spec.name);
    for (const a of addrs) if (a.cidr !== want) ops.push({ op: 'addr.del', addr: a });
    if (!addrs.some((a) => a.cidr === want)) ops.push({ op: 'addr.add', addr: { link: spec.name, cidr: want } });
    if (!link.up) ops.push({ op: 'link.set', name: spec.name, change: { up: true } });
    if (ops.length) await netlink.apply(ops);
    return { mac: link.mac.toLowerCase(), created };
  } catch (err) {
    if (err instanceof OverlayError) throw err;
    throw new OverlayError('OVERLAY_DEVICE_FAILED', `VXLAN device ${spec.name}: ${(err as Error).message}`, { cause: err });
  }
}
