/**
 * An exact allocator over the offsets 0..size-1 of a range (addresses of a CIDR, ports of a
 * port range, subnets of a cluster CIDR). Each taken offset remembers its owner, so a repair pass
 * can tell a leak (owner gone) from a double allocation (two owners claim one offset). Pure and
 * synchronous: on a single Node.js thread, concurrent API requests cannot interleave inside
 * `allocateNext`, which is what makes "200 parallel creates → 200 distinct" hold.
 */
import { ControllerError } from '../errors.js';

export class BitmapAllocator {
  private readonly owners = new Map<number, string>();
  private cursor = 0;

  /** `reserved` offsets are never handed out by `allocateNext` (only by name via `allocate`). */
  constructor(
    readonly size: number,
    private readonly reserved: ReadonlySet<number> = new Set(),
  ) {}

  has(offset: number): boolean {
    return this.owners.has(offset);
  }

  ownerOf(offset: number): string | undefined {
    return this.owners.get(offset);
  }

  /** Takes `offset` for `owner`; taking an offset the same owner already holds is a no-op. */
  allocate(offset: number, owner: string): void {
    if (!Number.isInteger(offset) || offset < 0 || offset >= this.size) {
      throw new ControllerError('NotInRange', `offset ${offset} outside 0-${this.size - 1}`);
    }
    const cur = this.owners.get(offset);
    if (cur !== undefined && cur !== owner) throw new ControllerError('AlreadyAllocated', `offset ${offset} held by ${cur}`);
    this.owners.set(offset, owner);
  }

  /** The next free unreserved offset after the last one handed out (wrapping), for `owner`. */
  allocateNext(owner: string): number {
    for (let i = 0; i < this.size; i++) {
      const off = (this.cursor + i) % this.size;
      if (this.owners.has(off) || this.reserved.has(off)) continue;
      this.owners.set(off, owner);
      this.cursor = (off + 1) % this.size;
      return off;
    }
    throw new ControllerError('RangeFull', `all ${this.size - this.reserved.size} offsets are allocated`);
  }

  /** Frees `offset` if `owner` (or anyone, when owner is undefined) holds it. */
  release(offset: number, owner?: string): boolean {
    const cur = this.owners.get(offset);
    if (cur === undefined || (owner !== undefined && cur !== owner)) return false;
    this.owners.delete(offset);
    return true;
  }

  used(): number {
    return this.owners.size;
  }

  free(): number {
    let reservedFree = 0;
    for (const r of this.reserved) if (!this.owners.has(r)) reservedFree++;
    return this.size - this.owners.size - reservedFree;
  }

  entries(): IterableIterator<[number, string]> {
    return this.owners.entries();
  }

  clear(): void {
    this.owners.clear();
    this.cursor = 0;
  }
}
