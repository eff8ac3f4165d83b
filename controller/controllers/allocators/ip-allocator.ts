/**
 * ClusterIP allocation over the service CIDR. Offsets are addresses from the network address;
 * the network and (IPv4) broadcast addresses are never usable, and offset 1 — the first usable
 * address — is reserved for the `default/kubernetes` service: only an explicit request gets it.
 */
import { ControllerError } from '../errors.js';
import { BitmapAllocator } from './bitmap.js';
import { addressCount, formatIp, parseCidr, parseIp, type Cidr } from './ranges.js';

export class IpAllocator {
  readonly cidr: Cidr;
  private readonly bitmap: BitmapAllocator;

  constructor(cidrText: string) {
    this.cidr = parseCidr(cidrText, 'service CIDR');
    const size = addressCount(this.cidr);
    if (size < 8) throw new ControllerError('InvalidRange', `service CIDR: ${cidrText} is too small (needs at least /29)`);
    const reserved = new Set([0, 1]);
    if (this.cidr.family === 4) reserved.add(size - 1);
    this.bitmap = new BitmapAllocator(size, reserved);
    // Network and broadcast are unusable: hold them under a sentinel owner.
    this.bitmap.allocate(0, '');
    if (this.cidr.family === 4) this.bitmap.allocate(size - 1, '');
  }

  /** The address the `default/kubernetes` service gets. */
  firstAddress(): string {
    return this.ipAt(1);
  }

  private ipAt(offset: number): string {
    return formatIp(this.cidr.base + BigInt(offset), this.cidr.family);
  }

  /** Offset of `ip` in the range, or undefined when it is not a usable address of the range. */
  offsetOf(ip: string): number | undefined {
    const v = parseIp(ip, this.cidr.family);
    if (v === undefined) return undefined;
    const off = v - this.cidr.base;
    if (off <= 0n || off >= BigInt(this.bitmap.size)) return undefined;
    if (this.cidr.family === 4 && off === BigInt(this.bitmap.size - 1)) return undefined;
    return Number(off);
  }

  allocate(ip: string, owner: string): void {
    const off = this.offsetOf(ip);
    if (off === undefined) {
      throw new ControllerError(
        'NotInRange',
        `the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${this.cidr.text}`,
      );
    }
    if (this.bitmap.has(off) && this.bitmap.ownerOf(off) !== owner) {
      throw new ControllerError('AlreadyAllocated', `provided IP is already allocated`);
    }
    this.bitmap.allocate(off, owner);
  }

  allocateNext(owner: string): string {
    try {
      return this.ipAt(this.bitmap.allocateNext(owner));
    } catch (err) {
      if (err instanceof ControllerError && err.code === 'RangeFull') {
        throw new ControllerError('RangeFull', `range is full: no free IP in ${this.cidr.text}`);
      }
      throw err;
    }
  }

  release(ip: string, owner?: string): boolean {
    const off = this.offsetOf(ip);
    return off === undefined ? false : this.bitmap.release(off, owner);
  }

  ownerOf(ip: string): string | undefined {
    const off = this.offsetOf(ip);
    return off === undefined ? undefined : this.bitmap.ownerOf(off);
  }

  /** Every allocated address with its owner (excluding network/broadcast). */
  allocated(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [off, owner] of this.bitmap.entries()) if (owner !== '') out.set(this.ipAt(off), owner);
    return out;
  }

  free(): number {
    return this.bitmap.free();
  }
}
