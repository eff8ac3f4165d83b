/**
 * The two host paths pods need for their service-account token at the usual path (see
 * service-account-mount.ts): the empty mount point `/etc/sextant-serviceaccount` that `ip netns
 * exec` covers with the pod's directory, and the symlink `/run/secrets/kubernetes.io/
 * serviceaccount` → it. Several agents (of clusters with different state roots) share them, and
 * pods outlive their agent on purpose, so they are reference-counted machine-wide:
 *
 * - a registry directory (`/run/sextant-serviceaccount-users`) holds one file per live agent,
 *   `agent.<pid>.<start ticks>.<nonce>`; entries of dead processes are pruned on every change;
 * - a pod whose token directory exists (`/etc/netns/<ns>/sextant-serviceaccount`) and in whose
 *   network namespace a process lives also counts: its processes see the token through both
 *   paths, so they stay until the pod is gone (the agent stops it; `sextant cluster down` kills
 *   its processes, then calls `pruneServiceAccountPaths`);
 * - `created` in the registry lists the paths some agent actually created (a path that existed
 *   before is never removed). When the last user is gone, the listed paths are removed — the
 *   symlink only while it still points at the mount point, directories only while empty — and
 *   then the registry itself.
 *
 * Every change happens under an exclusive flock on the registry directory. The lock holder that
 * removes the registry invalidates the lock for waiters, who see their locked directory unlinked
 * and start over.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, rmdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { toolPath } from '../kernel/exec-tool.js';
import { processStartTicks } from './container-process.js';

export interface ServiceAccountHostPaths {
  /** The empty directory `ip netns exec` bind-mounts each pod's token directory over. */
  mountPoint: string;
  /** The usual path in-cluster clients read (`/var/run` is `/run`), a symlink to `mountPoint`. */
  link: string;
  /** The machine-wide registry of users. */
  registry: string;
  /** Where pods' files live (`/etc/netns`): `<dir>/<ns>/<podEntry>` is a pod's token directory. */
  podFilesDir: string;
  podEntry: string;
  /** Where named network namespaces are (`ip netns`: /run/netns). */
  netnsDir: string;
}

export const SERVICE_ACCOUNT_HOST_PATHS: ServiceAccountHostPaths = {
  mountPoint: '/etc/sextant-serviceaccount',
  link: '/run/secrets/kubernetes.io/serviceaccount',
  registry: '/run/sextant-serviceaccount-users',
  podFilesDir: '/etc/netns',
  podEntry: 'sextant-serviceaccount',
  netnsDir: '/run/netns',
};

export type PathsSetup = { ok: true } | { ok: false; reason: string };

const CREATED = 'created';
const lstatOrNull = (p: string) => {
  try {
    return lstatSync(p);
  } catch {
    return null;
  }
};

/** flock(LOCK_EX) on an open descriptor: util-linux `flock` on it as its fd 3 (the lock belongs to the shared open file description). */
function flockFd(fd: number, timeoutSeconds: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(toolPath('flock'), ['-x', '-w', String(timeoutSeconds), '3'], { stdio: ['ignore', 'ignore', 'pipe', fd] });
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`flock: ${err.trim() || `exit ${code}`}`))));
  });
}

/** Runs `fn` holding the registry's lock (the registry directory is made if missing). */
async function withRegistry<T>(p: ServiceAccountHostPaths, fn: () => T): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    mkdirSync(p.registry, { recursive: true, mode: 0o755 });
    let fd: number;
    try {
      fd = openSync(p.registry, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && attempt < 100) continue;
      throw err;
    }
    try {
      await flockFd(fd, 30);
      const held = fstatSync(fd);
      const now = lstatOrNull(p.registry);
      // the previous holder removed the registry: this lock guards nothing, start over
      if (held.nlink === 0 || !now || now.ino !== held.ino || now.dev !== held.dev) {
        if (attempt < 100) continue;
        throw new Error(`${p.registry}: removed under us 100 times`);
      }
      return fn();
    } finally {
      closeSync(fd);
    }
  }
}

function readCreated(p: ServiceAccountHostPaths): string[] {
  try {
    const v = JSON.parse(readFileSync(join(p.registry, CREATED), 'utf8')) as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/** Removes entries of agents that are gone; returns the live ones. */
function pruneDead(p: ServiceAccountHostPaths): string[] {
  const live: string[] = [];
  for (const f of readdirSync(p.registry)) {
    const m = /^agent\.(\d+)\.(\d+)\./.exec(f);
    if (!m) continue;
    if (processStartTicks(Number(m[1])) === Number(m[2])) live.push(f);
    else rmSync(join(p.registry, f), { force: true });
  }
  return live;
}

/** Inodes of the network namespaces some process is in now. */
function liveNetnsInodes(): Set<number> {
  const out = new Set<number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      out.add(statSync(`/proc/${e}/ns/net`).ino);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return out;
}

/**
 * Pods that still use the paths: a token directory exists and a process lives in the pod's
 * network namespace (pods run on without any agent). A token directory left by a sandbox that
 * never got a process (its agent or cluster went away mid-start) does not hold the paths.
 */
function podsWithTokens(p: ServiceAccountHostPaths): string[] {
  let names: string[];
  try {
    names = readdirSync(p.podFilesDir).filter((ns) => existsSync(join(p.podFilesDir, ns, p.podEntry)));
  } catch {
    return [];
  }
  if (names.length === 0) return [];
  const live = liveNetnsInodes();
  return names.filter((ns) => {
    try {
      return live.has(statSync(join(p.netnsDir, ns)).ino);
    } catch {
      return false;
    }
  });
}

/** mkdir -p that returns the directories it made, outermost first. */
function mkdirs(dir: string): string[] {
  const first = mkdirSync(dir, { recursive: true, mode: 0o755 });
  if (first === undefined) return [];
  const made = [dir];
  for (let d = dir; d !== first; ) made.unshift((d = dirname(d)));
  return made;
}

/** Makes the mount point and the symlink where missing; returns what it made and whether the link is usable. */
function ensurePaths(p: ServiceAccountHostPaths): { created: string[]; setup: PathsSetup } {
  const created = mkdirs(p.mountPoint);
  if (!lstatOrNull(p.link)) {
    created.push(...mkdirs(dirname(p.link)));
    try {
      symlinkSync(p.mountPoint, p.link);
      created.push(p.link);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  const st = lstatOrNull(p.link);
  const setup: PathsSetup = st?.isSymbolicLink() && readlinkSync(p.link) === p.mountPoint ? { ok: true } : { ok: false, reason: `${p.link} exists and is not a symlink to ${p.mountPoint}; leaving it alone` };
  return { created, setup };
}

/** Removes what agents created, newest first: the symlink only while it is ours, directories only while empty. */
function removeCreated(p: ServiceAccountHostPaths, created: string[]): void {
  for (const path of [...created].reverse()) {
    const st = lstatOrNull(path);
    if (!st) continue;
    if (path === p.link) {
      if (st.isSymbolicLink() && readlinkSync(path) === p.mountPoint) rmSync(path, { force: true });
    } else if (st.isDirectory()) {
      try {
        rmdirSync(path);
      } catch {
        // not empty (someone else's files): not ours to remove
      }
    }
  }
}

/**
 * With the lock held: when no agent and no pod uses the paths, removes what agents created. The
 * registry goes once no agent is registered and it remembers nothing to remove later.
 */
function removeIfUnused(p: ServiceAccountHostPaths): boolean {
  const agents = pruneDead(p);
  const unused = agents.length === 0 && podsWithTokens(p).length === 0;
  if (unused) {
    removeCreated(p, readCreated(p));
    rmSync(join(p.registry, CREATED), { force: true });
  }
  if (agents.length === 0 && !existsSync(join(p.registry, CREATED))) {
    try {
      rmdirSync(p.registry);
    } catch {
      // a file that is not ours: leave the registry
    }
  }
  return unused;
}

export interface ServiceAccountPathsLease {
  setup: PathsSetup;
  /** Drops this agent's reference; the last user's release removes the paths. Idempotent. */
  release(): Promise<void>;
}

/**
 * Registers this agent as a user of the host paths and makes them if missing. `setup.ok` false:
 * a `link` path exists that is not ours, and pods get their token only at the mount point.
 */
export async function acquireServiceAccountPaths(p: ServiceAccountHostPaths = SERVICE_ACCOUNT_HOST_PATHS): Promise<ServiceAccountPathsLease> {
  const entry = `agent.${process.pid}.${processStartTicks(process.pid) ?? 0}.${randomBytes(4).toString('hex')}`;
  const setup = await withRegistry(p, () => {
    pruneDead(p);
    writeFileSync(join(p.registry, entry), '');
    const { created, setup } = ensurePaths(p);
    if (created.length > 0) writeFileSync(join(p.registry, CREATED), JSON.stringify([...readCreated(p), ...created]));
    return setup;
  });
  let released = false;
  return {
    setup,
    release: async () => {
      if (released) return;
      released = true;
      await withRegistry(p, () => {
        rmSync(join(p.registry, entry), { force: true });
        removeIfUnused(p);
      });
    },
  };
}

/**
 * Drops the references of dead agents and, when nothing uses the paths any more, removes them
 * (`sextant cluster down` after it removed its pods). True when they were removed (or already gone).
 */
export async function pruneServiceAccountPaths(p: ServiceAccountHostPaths = SERVICE_ACCOUNT_HOST_PATHS): Promise<boolean> {
  if (!existsSync(p.registry)) return true;
  return withRegistry(p, () => removeIfUnused(p));
}

/** True when `p.link` leads to the mount point (tests; what a pod's client path resolves through). */
export function serviceAccountLinkWorks(p: ServiceAccountHostPaths = SERVICE_ACCOUNT_HOST_PATHS): boolean {
  try {
    return lstatSync(p.link).isSymbolicLink() && statSync(p.link).ino === statSync(p.mountPoint).ino;
  } catch {
    return false;
  }
}
