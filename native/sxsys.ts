import { closeSync, constants, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The native helper (native/sxsys.c): setns(2), flock(2) and a raw NETLINK_ROUTE socket, the
 * three things Node lacks for configuring a pod without child processes. All calls are
 * synchronous and act on the calling (main) thread.
 */
export interface SxSys {
  /** Moves the calling thread into the namespace `fd` refers to (nstype: CLONE_NEW*, 0 = any). */
  setns(fd: number, nstype: number): void;
  /** Exclusive flock(2) on `fd`, waiting up to `timeoutMs`. */
  flock(fd: number, timeoutMs: number): void;
  /** A NETLINK_ROUTE socket in the calling thread's network namespace (close with fs.closeSync). */
  nlOpen(): number;
  nlSend(fd: number, msg: Buffer): void;
  /** The next datagram from the kernel; blocks until one arrives. */
  nlRecv(fd: number): Buffer;
}

/** The helper could not be loaded: the plugin refuses to work rather than half-work. */
export class NativeLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NativeLoadError';
  }
}

/** Base64 of the built helper, put into the CNI bundle by tools/build.mjs (esbuild `define`). */
declare const SX_NATIVE_SXSYS: string | undefined;


// O_TMPFILE (linux/fcntl.h: __O_TMPFILE | O_DIRECTORY); __O_TMPFILE is 020000000 on x86 and arm.
const O_TMPFILE = 0o20000000 | constants.O_DIRECTORY;

let loaded: SxSys | undefined;

/**
 * Loads the helper once. The CNI plugin is one file, so the helper's bytes travel inside it and
 * are written to an unnamed file (O_TMPFILE: no path anyone could swap, nothing left behind)
 * that is dlopen'ed through /proc/self/fd. The first directory on an exec-capable file system
 * wins: /run, /dev/shm, /tmp, then the plugin's own directory. Throws NativeLoadError when none
 * works or the module does not export what the plugin needs. `builtPath`: where an unbundled
 * run (tests via tsx) reads the helper that tools/build.mjs compiled (dist/native/sxsys.node).
 */
export function loadSxSys(builtPath?: string): SxSys {
  if (loaded) return loaded;
  const bytes =
    typeof SX_NATIVE_SXSYS === 'string'
      ? Buffer.from(SX_NATIVE_SXSYS, 'base64')
      : (() => {
          if (!builtPath) throw new NativeLoadError('native helper is not part of this build (tools/build.mjs embeds it)');
          try {
            return readFileSync(builtPath);
          } catch (err) {
            throw new NativeLoadError(`native helper ${builtPath} is missing (run node tools/build.mjs): ${(err as Error).message}`);
          }
        })();
  const dirs = ['/run', '/dev/shm', '/tmp', dirname(process.argv[1] ?? '/')];
  const problems: string[] = [];
  for (const dir of dirs) {
    let fd: number;
    try {
      fd = openSync(dir, O_TMPFILE | constants.O_RDWR, 0o700);
    } catch (err) {
      problems.push(`${dir}: ${(err as Error).message}`);
      continue;
    }
    try {
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off);
      const mod = { exports: {} as Record<string, unknown> };
      process.dlopen(mod, `/proc/self/fd/${fd}`);
      loaded = checked(mod.exports);
      return loaded;
    } catch (err) {
      if (err instanceof NativeLoadError) throw err;
      problems.push(`${dir}: ${(err as Error).message}`);
    } finally {
      closeSync(fd);
    }
  }
  throw new NativeLoadError(`native helper could not be loaded (${problems.join('; ')})`);
}

function checked(exports: Record<string, unknown>): SxSys {
  for (const name of ['setns', 'flock', 'nlOpen', 'nlSend', 'nlRecv'])
    if (typeof exports[name] !== 'function') throw new NativeLoadError(`native helper lacks ${name}()`);
  return exports as unknown as SxSys;
}
