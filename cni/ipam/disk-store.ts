import { closeSync, constants, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { mark } from '../plugin/trace.js';
import { PendingLock } from './flock.js';

/**
 * Reservations on disk in host-local's layout, so an operator can switch between the two
 * plugins: `<dir>/<ip>` holds `<containerID>\r\n<ifname>` (created with O_EXCL),
 * `<dir>/last_reserved_ip.<rangeSetIndex>` the last address handed out, `<dir>/lock` the flock.
 */
export class DiskStore {
  constructor(readonly dir: string) {}

  /**
   * Opens the directory's lock file (creating the directory first) without taking the lock yet,
   * so that a child process that runs anyway can take it for us (see PendingLock).
   */
  pendingLock(): PendingLock {
    mkdirSync(this.dir, { recursive: true, mode: 0o755 });
    return new PendingLock(`${this.dir}/lock`);
  }

  /** Runs `fn` holding the directory's lock (`lock`: one opened earlier with pendingLock()). */
  async locked<T>(fn: () => T | Promise<T>, lock: PendingLock = this.pendingLock()): Promise<T> {
    const release = await lock.acquire();
    mark('ipam: lock acquired');
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /** Creates the reservation file; false when the IP is already taken. */
  reserve(ip: string, id: string, ifName: string, rangeSet: number): boolean {
    let fd: number;
    try {
      fd = openSync(`${this.dir}/${ip}`, 'wx', 0o644);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
    try {
      writeSync(fd, `${id}\r\n${ifName}`);
    } finally {
      closeSync(fd);
    }
    this.setLastReserved(rangeSet, ip);
    return true;
  }

  /**
   * Overwrites `last_reserved_ip.<set>` in place: written from offset 0, then cut to length.
   * Neither a rename over the old file nor a truncation to zero: on ext4 both make the kernel
   * flush the new data before it returns (auto_da_alloc), measured 0.2 ms quiet and up to 5 ms
   * with a busy disk, per ADD. The file is only where the round robin resumes (the reservation
   * files are the truth, created with O_EXCL), so a torn write after a crash costs at most a
   * different next address — host-local itself rewrites it with a plain truncating write.
   */
  private setLastReserved(rangeSet: number, ip: string): void {
    const fd = openSync(`${this.dir}/last_reserved_ip.${rangeSet}`, constants.O_WRONLY | constants.O_CREAT, 0o644);
    try {
      const bytes = Buffer.from(ip);
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off, off);
      ftruncateSync(fd, bytes.length);
    } finally {
      closeSync(fd);
    }
  }

  lastReserved(rangeSet: number): string | undefined {
    try {
      return readFileSync(`${this.dir}/last_reserved_ip.${rangeSet}`, 'utf8').trim() || undefined;
    } catch {
      return undefined;
    }
  }

  /** Every reservation: ip → {id, ifName}. Files other than IPs are skipped. */
  list(): Map<string, { id: string; ifName: string }> {
    const out = new Map<string, { id: string; ifName: string }>();
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return out;
    }
    for (const name of names) {
      if (!/^\d+\.\d+\.\d+\.\d+$/.test(name)) continue;
      try {
        const [id = '', ifName = ''] = readFileSync(`${this.dir}/${name}`, 'utf8').trim().split('\r\n');
        out.set(name, { id: id.trim(), ifName: ifName.trim() });
      } catch {
        /* released concurrently */
      }
    }
    return out;
  }

  has(ip: string): boolean {
    try {
      readFileSync(`${this.dir}/${ip}`);
      return true;
    } catch {
      return false;
    }
  }

  /** IPs held by (id, ifName) in `listed` (default: a fresh list()); a legacy file holding just the id matches too, as in host-local. */
  findByOwner(id: string, ifName: string, listed = this.list()): string[] {
    return [...listed].filter(([, o]) => o.id === id && (o.ifName === ifName || o.ifName === '')).map(([ip]) => ip);
  }

  release(ip: string): void {
    try {
      unlinkSync(`${this.dir}/${ip}`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}
