import { readFileSync } from 'node:fs';
import type { IpamConfig } from '../plugin/config.js';
import { CniCode, CniError } from '../plugin/errors.js';
import type { CniDns, CniIp, CniRoute } from '../plugin/result.js';
import { DEFAULT_SUBNET_FILE, parseSubnetFile, type NodeSubnet } from '../subnet-file.js';
import { DiskStore } from './disk-store.js';
import type { PendingLock } from './flock.js';
import { intToIp, ipToInt } from './ipv4.js';
import { allocatable, nextFree, rangeOf, resolveRange, type ResolvedRange } from './range-set.js';

/** host-local's default base directory; reservations live in `<dataDir>/<network name>/`. */
export const DEFAULT_DATA_DIR = '/var/lib/cni/networks';

/** Reads the node subnet file; code 11 (try again later) when the overlay has not written it yet. */
export function loadNodeSubnet(path = DEFAULT_SUBNET_FILE): NodeSubnet {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CniError(CniCode.TryAgainLater, `node subnet file ${path} is not readable (is the overlay running?)`, (err as Error).message);
  }
  try {
    return parseSubnetFile(text);
  } catch (err) {
    throw new CniError(CniCode.InvalidConfig, `node subnet file ${path} is invalid`, (err as Error).message);
  }
}

/**
 * The range sets to allocate from: `ipam.ranges`, else the `ipam.subnet` shorthand, else the
 * node's pod CIDR from the subnet file (read lazily through `subnet`). Code 7 names the field.
 */
export function rangeSetsFor(ipam: IpamConfig | undefined, subnet: () => NodeSubnet): ResolvedRange[][] {
  try {
    if (ipam?.ranges?.length) return ipam.ranges.map((set, i) => set.map((r, j) => resolveRange(r, `ipam.ranges[${i}][${j}]`)));
    if (ipam?.subnet)
      return [[resolveRange({ subnet: ipam.subnet, rangeStart: ipam.rangeStart, rangeEnd: ipam.rangeEnd, gateway: ipam.gateway }, 'ipam')]];
    const s = subnet();
    return [[resolveRange({ subnet: s.subnet, gateway: s.subnet.split('/')[0] }, 'subnet file SEXTANT_SUBNET')]];
  } catch (err) {
    if (err instanceof CniError) throw err;
    throw new CniError(CniCode.InvalidConfig, `invalid network configuration: ${(err as Error).message}`);
  }
}

export interface Allocation {
  ips: CniIp[];
  routes: CniRoute[];
  dns?: CniDns;
}

/** The built-in IPAM for one network: host-local semantics on host-local's on-disk layout. */
export class Ipam {
  readonly store: DiskStore;
  constructor(
    network: string,
    readonly sets: ResolvedRange[][],
    dataDir = DEFAULT_DATA_DIR,
  ) {
    this.store = new DiskStore(`${dataDir}/${network}`);
  }

  /**
   * Reserves one address per range set for (id, ifName). A second allocation for the same pair
   * fails (code 104) as host-local's does; an exhausted set fails with code 101 and reserves
   * nothing (what was taken from earlier sets is released). `lock`: the store's lock opened
   * earlier (pendingLock), possibly being taken by another process for us.
   */
  async allocate(id: string, ifName: string, requestedIp?: string, lock?: PendingLock): Promise<Allocation> {
    return this.store.locked(() => {
      // One listing under the lock serves the duplicate check and the search for a free address
      // (no read per candidate); reserve() still creates the file with O_EXCL.
      const listed = this.store.list();
      const held = this.store.findByOwner(id, ifName, listed);
      if (held.length) throw new CniError(CniCode.DuplicateAllocation, `${held[0]} has been allocated to ${id}, duplicate allocation is not allowed`);
      const taken: string[] = [];
      try {
        return {
          ips: this.sets.map((set, i) => {
            let ip: number | undefined;
            if (requestedIp !== undefined) {
              const want = ipToInt(requestedIp);
              if (!rangeOf(set, want) || !allocatable(set, want))
                throw new CniError(CniCode.InvalidConfig, `requested IP ${requestedIp} is not in range set ${i}`);
              if (this.store.has(requestedIp)) throw new CniError(CniCode.NoAddresses, `requested IP ${requestedIp} is already allocated`);
              ip = want;
            } else ip = nextFree(set, (x) => listed.has(x), this.store.lastReserved(i));
            const r = ip === undefined ? undefined : rangeOf(set, ip);
            if (ip === undefined || !r || !this.store.reserve(intToIp(ip), id, ifName, i))
              throw new CniError(CniCode.NoAddresses, `no addresses available in range set ${set.map((x) => `${intToIp(x.start)}-${intToIp(x.end)}`).join(',')}`);
            taken.push(intToIp(ip));
            return { address: `${intToIp(ip)}/${r.subnet.prefix}`, gateway: intToIp(r.gateway) };
          }),
          routes: [],
        };
      } catch (err) {
        for (const ip of taken) this.store.release(ip);
        throw err;
      }
    }, lock);
  }

  /** Releases everything (id, ifName) holds; releasing nothing is fine (DEL is idempotent). */
  async release(id: string, ifName: string, lock?: PendingLock): Promise<string[]> {
    return this.store.locked(() => {
      const held = this.store.findByOwner(id, ifName);
      for (const ip of held) this.store.release(ip);
      return held;
    }, lock);
  }

  /** Releases every reservation whose owner `keep` rejects (GC); returns what was released. */
  async releaseUnless(keep: (id: string, ifName: string) => boolean): Promise<{ ip: string; id: string; ifName: string }[]> {
    return this.store.locked(() => {
      const gone: { ip: string; id: string; ifName: string }[] = [];
      for (const [ip, o] of this.store.list())
        if (!keep(o.id, o.ifName)) {
          this.store.release(ip);
          gone.push({ ip, ...o });
        }
      return gone;
    });
  }

  /** Addresses still free across every set (STATUS: zero means ADD cannot succeed). */
  freeCount(): number {
    const reserved = this.store.list();
    let free = Infinity;
    for (const set of this.sets) {
      let n = 0;
      for (const r of set) for (let ip = r.start; ip <= r.end; ip++) if (allocatable(set, ip) && !reserved.has(intToIp(ip))) n++;
      free = Math.min(free, n);
    }
    return free === Infinity ? 0 : free;
  }
}
