import { mkdirSync, renameSync, writeFileSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Informer, Node } from '../../controller/api/index.js';
import type { Logger } from '../../daemon/logger.js';
import type { Iptables } from '../../kernel/iptables.js';
import type { Netlink, RouteSpec } from '../../kernel/netlink/types.js';
import type { Sysctl } from '../../kernel/sysctl.js';
import { formatSubnetFile } from '../subnet-file.js';
import { ensureVxlanDevice, type VxlanReader } from './device.js';
import { OverlayError } from './errors.js';
import { overlayRulesPayload } from './iptables-rules.js';
import { cidrContainsIp, formatCidr4, parseCidr4, parseIp4 } from './ipv4.js';
import {
  ANNOTATION_BACKEND_DATA,
  ANNOTATION_BACKEND_TYPE,
  ANNOTATION_PUBLIC_IP,
  ANNOTATION_VTEP_MAC,
  BACKEND_TYPE,
  CHAIN_FORWARD,
  CHAIN_POSTROUTING,
  vxlanDeviceName,
} from './names.js';
import { internalIpOf, peersFromNodes, vtepAddressOf, type OverlayPeer } from './peers.js';
import { desiredEntries, ownedRoutes, planEntries, type OverlayEntries } from './plan.js';

export interface OverlayConfig {
  nodeName: string;
  /** Cluster pod CIDR. */
  network: string;
  vni: number;
  port: number;
  /** Underlay address; default the Node's InternalIP. */
  ifaceAddr?: string;
  directRouting: boolean;
  subnetFile: string;
  /** Masquerade pod traffic leaving the cluster network. */
  masquerade: boolean;
  reconcilePeriodMs: number;
  /** Namespace path of the node (undefined: the caller's own), for sysctl. */
  netnsPath?: string;
}

export interface OverlayDeps {
  netlink: Netlink;
  readVxlan: VxlanReader;
  iptables: Iptables;
  sysctl: Sysctl;
  /** Every Node (the peer set and this node's own object). */
  nodes: Informer<Node>;
  /** Merge-patches this node's metadata (annotations). */
  patchNode(name: string, patch: unknown): Promise<unknown>;
  log: Logger;
  /** Called after each sync with its outcome (metrics). */
  onSync?(r: { ok: boolean; ops: number; peers: number; ms: number }): void;
}

/** What the overlay learnt about its own node at start. */
export interface OverlayLocal {
  podCIDR: string;
  nodeIp: string;
  underlay: { device: string; cidr: string; mtu: number };
  device: string;
  vtepMac: string;
  mtu: number;
}

/**
 * The overlay daemon's engine: waits for the node's pod CIDR, writes the subnet file, keeps the
 * VXLAN device and the per-peer entries equal to what the Node list asks for (pure plan →
 * netlink ops), keeps its iptables chains, and reconciles periodically so a deleted device or
 * entry comes back. Syncs never overlap; a request during a sync runs one more after it.
 */
export class Overlay {
  local: OverlayLocal | undefined;
  peers: OverlayPeer[] = [];
  lastSyncOk = false;
  private running = false;
  private again = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private idle: Promise<void> = Promise.resolve();
  private fullNext = true;

  constructor(
    readonly config: OverlayConfig,
    private readonly deps: OverlayDeps,
  ) {}

  get device(): string {
    return vxlanDeviceName(this.config.vni);
  }

  /** Waits for the pod CIDR, sets up the node, does the first full sync, then follows the Node watch. */
  async start(): Promise<void> {
    const { nodes, log } = this.deps;
    nodes.addHandlers({
      onAdd: () => this.requestSync(false),
      onUpdate: (a, b) => {
        if (this.relevantChange(a, b)) this.requestSync(false);
      },
      onDelete: () => this.requestSync(false),
    });
    await nodes.synced();
    const self = await this.waitForPodCidr();
    await this.setUp(self);
    this.requestSync(true);
    await this.idle;
    this.timer = setInterval(() => this.requestSync(true), this.config.reconcilePeriodMs);
    this.timer.unref();
    log.info('overlay ready', { node: this.config.nodeName, ...this.local });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.idle;
  }

  /** Requests a sync; `full` also re-checks the device, the address and the iptables chains. */
  requestSync(full: boolean): void {
    if (full) this.fullNext = true;
    if (!this.local || this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    this.idle = this.loop();
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.again = false;
        const full = this.fullNext;
        this.fullNext = false;
        await this.syncOnce(full);
      } while (this.again && !this.stopped);
    } finally {
      this.running = false;
    }
  }

  private relevantChange(a: Node, b: Node): boolean {
    const ann = (n: Node) => n.metadata.annotations ?? {};
    return (
      a.spec?.podCIDR !== b.spec?.podCIDR ||
      Boolean(a.metadata.deletionTimestamp) !== Boolean(b.metadata.deletionTimestamp) ||
      internalIpOf(a) !== internalIpOf(b) ||
      [ANNOTATION_VTEP_MAC, ANNOTATION_PUBLIC_IP, ANNOTATION_BACKEND_TYPE, ANNOTATION_BACKEND_DATA].some((k) => ann(a)[k] !== ann(b)[k])
    );
  }

  private waitForPodCidr(): Promise<Node> {
    const find = () => {
      const n = this.deps.nodes.get(undefined, this.config.nodeName);
      return n?.spec?.podCIDR ? n : undefined;
    };
    const now = find();
    if (now) return Promise.resolve(now);
    this.deps.log.info('waiting for spec.podCIDR of the node', { node: this.config.nodeName });
    return new Promise((resolve) => {
      const check = () => {
        const n = find();
        if (n && !done) {
          done = true;
          resolve(n);
        }
      };
      let done = false;
      this.deps.nodes.addHandlers({ onAdd: check, onUpdate: check });
    });
  }

  private async setUp(self: Node): Promise<void> {
    const { config: c, deps } = this;
    const podCidr = parseCidr4(self.spec!.podCIDR!);
    const network = parseCidr4(c.network);
    if (!podCidr || !network || !cidrContainsIp(network, podCidr.base))
      throw new OverlayError('OVERLAY_BAD_POD_CIDR', `spec.podCIDR ${self.spec!.podCIDR}: must be an IPv4 CIDR inside the cluster CIDR ${c.network}`);
    const nodeIp = c.ifaceAddr ?? internalIpOf(self);
    if (!nodeIp || parseIp4(nodeIp) === null)
      throw new OverlayError('OVERLAY_NO_NODE_IP', `node ${c.nodeName}: no --iface-addr and no InternalIP in status.addresses`);
    const addr = (await deps.netlink.listAddresses()).find((a) => a.cidr.split('/')[0] === nodeIp);
    const underLink = addr ? await deps.netlink.getLink(addr.link) : undefined;
    if (!addr || !underLink) throw new OverlayError('OVERLAY_NO_UNDERLAY', `no link in the node's namespace carries ${nodeIp}`);
    const local: OverlayLocal = {
      podCIDR: formatCidr4(podCidr),
      nodeIp,
      underlay: { device: underLink.name, cidr: addr.cidr, mtu: underLink.mtu },
      device: this.device,
      vtepMac: '',
      mtu: underLink.mtu - 50,
    };
    const published = self.metadata.annotations?.[ANNOTATION_VTEP_MAC];
    local.vtepMac = (await this.ensureDevice(local, published)).mac;
    this.local = local;
    this.writeSubnetFile(local);
    await deps.sysctl.set(c.netnsPath, { 'net.ipv4.ip_forward': '1' });
    await this.publish(self);
  }

  private ensureDevice(local: OverlayLocal, mac: string | undefined) {
    const c = this.config;
    return ensureVxlanDevice(
      this.deps.netlink,
      this.deps.readVxlan,
      {
        name: this.device, vni: c.vni, port: c.port, local: local.nodeIp, device: local.underlay.device, mtu: local.mtu,
        address: vtepAddressOf(parseCidr4(local.podCIDR)!), mac: mac && /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(mac) ? mac : undefined,
      },
      this.deps.log,
    );
  }

  /** Writes the subnet file (temp file + rename) when its content changed. */
  private writeSubnetFile(local: OverlayLocal): void {
    const gw = parseCidr4(local.podCIDR)!;
    const text = formatSubnetFile({
      network: this.config.network,
      subnet: `${formatCidr4({ base: gw.base + 1, bits: 32 }).replace('/32', '')}/${gw.bits}`,
      mtu: local.mtu,
      // the overlay masquerades the whole pod network itself (SX-OVERLAY-POSTRTG), so the plugin
      // need not add a chain per pod — flannel's FLANNEL_IPMASQ=true ⇒ delegate ipMasq=false
      ipMasq: !this.config.masquerade,
    });
    try {
      if (readFileSync(this.config.subnetFile, 'utf8') === text) return;
    } catch {
      // missing: write it
    }
    try {
      mkdirSync(dirname(this.config.subnetFile), { recursive: true });
      const tmp = `${this.config.subnetFile}.tmp-${process.pid}`;
      writeFileSync(tmp, text, { mode: 0o644 });
      renameSync(tmp, this.config.subnetFile);
      this.deps.log.info('wrote the node subnet file', { path: this.config.subnetFile });
    } catch (err) {
      throw new OverlayError('OVERLAY_SUBNET_FILE', `${this.config.subnetFile}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Publishes VTEP MAC, underlay IP and backend on the Node when they differ. */
  private async publish(self: Node): Promise<void> {
    const local = this.local!;
    const want: Record<string, string> = {
      [ANNOTATION_VTEP_MAC]: local.vtepMac,
      [ANNOTATION_PUBLIC_IP]: local.nodeIp,
      [ANNOTATION_BACKEND_TYPE]: BACKEND_TYPE,
      [ANNOTATION_BACKEND_DATA]: JSON.stringify({ vni: this.config.vni, port: this.config.port }),
    };
    const have = self.metadata.annotations ?? {};
    if (Object.entries(want).every(([k, v]) => have[k] === v)) return;
    try {
      await this.deps.patchNode(this.config.nodeName, { metadata: { annotations: want } });
    } catch (err) {
      throw new OverlayError('OVERLAY_API', `annotating node ${this.config.nodeName}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** The entries currently in the kernel that the overlay owns. */
  async observed(): Promise<OverlayEntries> {
    const { netlink } = this.deps;
    const local = this.local!;
    const device = await netlink.getLink(this.device);
    const routes: RouteSpec[] = ownedRoutes(await netlink.listRoutes(), this.config.network, local.podCIDR);
    return {
      neighbours: device ? await netlink.listNeighbours(this.device) : [],
      fdb: device ? await netlink.listFdb(this.device) : [],
      routes,
    };
  }

  private async syncOnce(full: boolean): Promise<void> {
    const started = Date.now();
    const { deps, config: c } = this;
    const local = this.local!;
    let ops = 0;
    try {
      if (full) {
        const dev = await this.ensureDevice(local, local.vtepMac);
        if (dev.created && dev.mac !== local.vtepMac) {
          local.vtepMac = dev.mac;
          const self = deps.nodes.get(undefined, c.nodeName);
          if (self) await this.publish(self);
        }
        this.writeSubnetFile(local);
        await this.syncIptables();
      }
      const { peers, skipped } = peersFromNodes(c.nodeName, deps.nodes.list(), { network: c.network, vni: c.vni });
      const desired = desiredEntries(peers, { device: this.device, directRouting: c.directRouting, underlay: { cidr: local.underlay.cidr, device: local.underlay.device } });
      const plan = planEntries(desired, await this.observed());
      ops = plan.length;
      if (plan.length) {
        try {
          await deps.netlink.apply(plan);
        } catch (err) {
          throw new OverlayError('OVERLAY_SYNC_FAILED', `applying ${plan.length} changes: ${(err as Error).message}`, { cause: err });
        }
        deps.log.info('overlay entries synced', { ops: plan.length, peers: peers.map((p) => p.name) });
      }
      if (skipped.length) deps.log.debug('nodes not programmed', { skipped });
      this.peers = peers;
      this.lastSyncOk = true;
      deps.onSync?.({ ok: true, ops, peers: peers.length, ms: Date.now() - started });
    } catch (err) {
      this.lastSyncOk = false;
      this.fullNext = true;
      deps.log.error('overlay sync failed', { error: (err as Error).message });
      deps.onSync?.({ ok: false, ops, peers: this.peers.length, ms: Date.now() - started });
    }
  }

  private async syncIptables(): Promise<void> {
    const { iptables } = this.deps;
    try {
      const fwd = (await iptables.listChain('filter', 'FORWARD')) ?? [];
      const post = (await iptables.listChain('nat', 'POSTROUTING')) ?? [];
      const payload = overlayRulesPayload({
        network: this.config.network,
        podCIDR: this.local!.podCIDR,
        masquerade: this.config.masquerade,
        hasForwardJump: fwd.some((r) => r.includes(`-j ${CHAIN_FORWARD}`)),
        hasPostroutingJump: post.some((r) => r.includes(`-j ${CHAIN_POSTROUTING}`)),
      });
      await iptables.restore(payload);
    } catch (err) {
      throw new OverlayError('OVERLAY_IPTABLES_FAILED', (err as Error).message, { cause: err });
    }
  }
}
