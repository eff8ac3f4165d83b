/**
 * Node IPAM's pure core: the cluster CIDR cut into equal subnets (default /24 of 10.244.0.0/16),
 * one per Node. Nodes that already carry a podCIDR are occupied first (`rebuild`), so after a
 * restart a new node can never get a CIDR another node holds; a node whose CIDR another node
 * already holds is reported, not silently duplicated.
 */
import type { Node } from '../../api/index.js';
import { ControllerError } from '../errors.js';
import { BitmapAllocator } from '../allocators/bitmap.js';
import { formatIp, parseCidr, type Cidr } from '../allocators/ranges.js';

export const DEFAULT_CLUSTER_CIDR = '10.244.0.0/16';
export const DEFAULT_NODE_MASK = 24;

export interface CidrConflict {
  node: string;
  cidr: string;
  holder: string;
}

export class NodeCidrAllocator {
  readonly cluster: Cidr;
  readonly maskSize: number;
  private readonly bitmap: BitmapAllocator;

  constructor(clusterCIDR = DEFAULT_CLUSTER_CIDR, maskSize = DEFAULT_NODE_MASK) {
    this.cluster = parseCidr(clusterCIDR, 'cluster CIDR');
    if (!Number.isInteger(maskSize) || maskSize < this.cluster.prefix || maskSize > this.cluster.bits) {
      throw new ControllerError('InvalidRange', `node CIDR mask size: /${maskSize} must lie between /${this.cluster.prefix} and /${this.cluster.bits}`);
    }
    if (maskSize - this.cluster.prefix > 20) throw new ControllerError('InvalidRange', `node CIDR mask size: /${maskSize} makes more than 2^20 subnets`);
    this.maskSize = maskSize;
    this.bitmap = new BitmapAllocator(2 ** (maskSize - this.cluster.prefix));
  }

  cidrAt(index: number): string {
    const shift = BigInt(this.cluster.bits - this.maskSize);
    return `${formatIp(this.cluster.base + (BigInt(index) << shift), this.cluster.family)}/${this.maskSize}`;
  }

  /** The subnet index of `cidr`, or undefined when it is not one of this allocator's subnets. */
  indexOf(cidr: string): number | undefined {
    let c: Cidr;
    try {
      c = parseCidr(cidr);
    } catch {
      return undefined;
    }
    if (c.family !== this.cluster.family || c.prefix !== this.maskSize) return undefined;
    const off = (c.base - this.cluster.base) >> BigInt(this.cluster.bits - this.maskSize);
    if (off < 0n || off >= BigInt(this.bitmap.size)) return undefined;
    return Number(off);
  }

  /** Occupies every node's existing podCIDR; returns the nodes whose CIDR another node holds. */
  rebuild(nodes: readonly Node[]): CidrConflict[] {
    this.bitmap.clear();
    const conflicts: CidrConflict[] = [];
    const ordered = [...nodes].sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
    for (const n of ordered) {
      const c = this.occupy(n);
      if (c) conflicts.push(c);
    }
    return conflicts;
  }

  /** Marks the node's podCIDR as taken; a conflict when another node has it. */
  occupy(node: Node): CidrConflict | undefined {
    const name = node.metadata.name ?? '';
    const cidr = node.spec?.podCIDR ?? node.spec?.podCIDRs?.[0];
    if (!cidr) return undefined;
    const idx = this.indexOf(cidr);
    if (idx === undefined) return undefined;
    const holder = this.bitmap.ownerOf(idx);
    if (holder !== undefined && holder !== name) return { node: name, cidr, holder };
    this.bitmap.allocate(idx, name);
    return undefined;
  }

  /** A free subnet for the node (its own one if it already holds one). */
  allocate(nodeName: string): string {
    for (const [idx, owner] of this.bitmap.entries()) if (owner === nodeName) return this.cidrAt(idx);
    try {
      return this.cidrAt(this.bitmap.allocateNext(nodeName));
    } catch (err) {
      if (err instanceof ControllerError && err.code === 'RangeFull') throw new ControllerError('RangeFull', `no free /${this.maskSize} left in ${this.cluster.text}`);
      throw err;
    }
  }

  /** Frees the node's subnet(s). */
  release(nodeName: string): void {
    for (const [idx, owner] of [...this.bitmap.entries()]) if (owner === nodeName) this.bitmap.release(idx, owner);
  }

  holderOf(cidr: string): string | undefined {
    const idx = this.indexOf(cidr);
    return idx === undefined ? undefined : this.bitmap.ownerOf(idx);
  }

  used(): number {
    return this.bitmap.used();
  }
}
