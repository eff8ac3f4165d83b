/** NodePort allocation over a port range (default 30000-32767). */
import { ControllerError } from '../errors.js';
import { BitmapAllocator } from './bitmap.js';
import { parsePortRange, type PortRange } from './ranges.js';

export class PortAllocator {
  readonly range: PortRange;
  private readonly bitmap: BitmapAllocator;

  constructor(rangeText: string) {
    this.range = parsePortRange(rangeText, 'node port range');
    this.bitmap = new BitmapAllocator(this.range.size);
  }

  get text(): string {
    return `${this.range.base}-${this.range.base + this.range.size - 1}`;
  }

  inRange(port: number): boolean {
    return Number.isInteger(port) && port >= this.range.base && port < this.range.base + this.range.size;
  }

  allocate(port: number, owner: string): void {
    if (!this.inRange(port)) {
      throw new ControllerError(
        'NotInRange',
        `provided port is not in the valid range. The range of valid ports is ${this.text}`,
      );
    }
    const off = port - this.range.base;
    if (this.bitmap.has(off) && this.bitmap.ownerOf(off) !== owner) {
      throw new ControllerError('AlreadyAllocated', 'provided port is already allocated');
    }
    this.bitmap.allocate(off, owner);
  }

  allocateNext(owner: string): number {
    try {
      return this.range.base + this.bitmap.allocateNext(owner);
    } catch (err) {
      if (err instanceof ControllerError && err.code === 'RangeFull') {
        throw new ControllerError('RangeFull', `range is full: no free node port in ${this.text}`);
      }
      throw err;
    }
  }

  release(port: number, owner?: string): boolean {
    return this.inRange(port) ? this.bitmap.release(port - this.range.base, owner) : false;
  }

  ownerOf(port: number): string | undefined {
    return this.inRange(port) ? this.bitmap.ownerOf(port - this.range.base) : undefined;
  }

  allocated(): Map<number, string> {
    const out = new Map<number, string>();
    for (const [off, owner] of this.bitmap.entries()) out.set(this.range.base + off, owner);
    return out;
  }

  free(): number {
    return this.bitmap.free();
  }
}
