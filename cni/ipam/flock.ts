import { closeSync, openSync } from 'node:fs';
import { childProcess, toolPath, type LockHandoff } from '../../kernel/exec-tool.js';

/**
 * An exclusive flock(2) on `path`, the same lock host-local takes on `<dataDir>/<network>/lock`,
 * so both plugins exclude each other. Node has no flock, so a child process takes it on a
 * descriptor we open and pass as its fd 3: a flock belongs to the open file description, which
 * we share, so the lock stays held after the child exits and is released when we close the
 * descriptor (or die).
 *
 * The child is either one that runs anyway and takes the lock first (`LockHandoff`: CNI ADD's
 * host-side `ip` process — one process fewer per ADD), or, when none claimed it by the time the
 * lock is needed, util-linux `flock -x 3` run for just that — or, in the CNI binary, flock(2)
 * itself through the plugin's native helper (useNativeFlock), with no process at all.
 */
/** A synchronous flock(2) (the plugin's native helper); when set, no flock process is run. */
export type FlockFn = (fd: number, timeoutMs: number) => void;
let nativeFlock: FlockFn | undefined;

/** Takes locks with `fn` from now on (the CNI binary, once its native helper is loaded). */
export function useNativeFlock(fn: FlockFn | undefined): void {
  nativeFlock = fn;
}

export class PendingLock implements LockHandoff {
  readonly fd: number;
  private claimed = false;
  private closed = false;
  private readonly settled: Promise<void>;
  private settleFn!: (err?: Error) => void;

  constructor(
    readonly path: string,
    readonly timeoutSeconds = 30,
  ) {
    this.fd = openSync(path, 'a', 0o644);
    this.settled = new Promise<void>((resolve, reject) => {
      this.settleFn = (err) => (err ? reject(err) : resolve());
    });
    this.settled.catch(() => undefined);
  }

  claim(): boolean {
    if (this.claimed || this.closed) return false;
    this.claimed = true;
    return true;
  }

  settle(err?: Error): void {
    this.settleFn(err);
  }

  /** Waits until the lock is held; returns the release function (closes the descriptor). */
  async acquire(): Promise<() => void> {
    try {
      if (this.claim()) {
        if (nativeFlock) lockNative(nativeFlock, this.fd, this.path, this.timeoutSeconds);
        else await flockFd(this.fd, this.path, this.timeoutSeconds);
      }
      else await this.settled;
    } catch (e) {
      this.close();
      throw e;
    }
    return () => this.close();
  }

  /** Releases the lock (or gives up waiting for it); idempotent. */
  close(): void {
    if (!this.closed) closeSync(this.fd);
    this.closed = true;
  }
}

function lockNative(fn: FlockFn, fd: number, path: string, timeoutSeconds: number): void {
  try {
    fn(fd, timeoutSeconds * 1000);
  } catch (err) {
    throw new Error(`flock ${path}: ${(err as Error).message}`);
  }
}

async function flockFd(fd: number, path: string, timeoutSeconds: number): Promise<void> {
  const cp = await childProcess();
  return new Promise<void>((resolve, reject) => {
    const child = cp.spawn(toolPath('flock'), ['-x', '-w', String(timeoutSeconds), '3'], { stdio: ['ignore', 'ignore', 'pipe', fd] });
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`flock ${path}: ${err.trim() || `exit ${code}`}`))));
  });
}

/** Takes the lock on `path` with a flock process; returns the release function. */
export async function lockFile(path: string, timeoutSeconds = 30): Promise<() => void> {
  return new PendingLock(path, timeoutSeconds).acquire();
}
