import type * as ChildProcessModule from 'node:child_process';
import { existsSync } from 'node:fs';

type ChildProcessApi = typeof ChildProcessModule;
let childProcessModule: Promise<ChildProcessApi> | undefined;

/**
 * node:child_process, loaded on first use: it pulls in net, dgram and the stream stack (~30
 * internal modules to compile), which the CNI plugin's ADD/DEL without ipMasq never needs. Where
 * there is a `require` (the bundles: the CNI plugin runs inside vm.Script, which has no dynamic
 * import, and its code-cache trainer answers that `require` with simulated children) it is used;
 * elsewhere (ESM under tsx) a dynamic import.
 */
export function childProcess(): Promise<ChildProcessApi> {
  return (childProcessModule ??=
    typeof require === 'function' ? Promise.resolve(require('node:child_process') as ChildProcessApi) : import('node:child_process'));
}

/** What a finished tool run reported. */
export interface ToolOutput {
  stdout: string;
  stderr: string;
}

/** A failed tool run: the exit code and what it printed, so callers can match kernel messages. */
export class ToolError extends Error {
  constructor(
    readonly tool: string,
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`${tool} ${args.join(' ')}: ${stderr.trim() || `exit ${exitCode}`}`);
    this.name = 'ToolError';
  }
}

const SEARCH = ['/usr/sbin', '/sbin', '/usr/bin', '/bin', '/usr/local/sbin', '/usr/local/bin'];
const resolved = new Map<string, string>();

/**
 * Finds a system tool by name. A container runtime may run plugins with an empty or odd PATH,
 * so the standard system directories are searched after PATH.
 */
export function toolPath(name: string): string {
  const hit = resolved.get(name);
  if (hit) return hit;
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), ...SEARCH];
  for (const d of dirs) {
    const p = `${d}/${name}`;
    if (existsSync(p)) {
      resolved.set(name, p);
      return p;
    }
  }
  return name;
}

/** How runTool runs its child. */
export interface RunToolOptions {
  /** Take this lock for the caller before the tool runs (see LockHandoff). */
  handoff?: LockHandoff;
  /**
   * Run with spawnSync: the event loop waits, but no streams are built around the child's pipes
   * (~2 ms less CPU per child). For short-lived processes with nothing else to do meanwhile (the
   * CNI plugin); never in a daemon.
   */
  blocking?: boolean;
}

/**
 * Runs a system tool without a shell (arguments are never interpreted), optionally feeding
 * `input` on stdin. Rejects with a ToolError carrying stderr when the tool exits non-zero.
 */
export async function runTool(name: string, args: readonly string[], input?: string, opts: RunToolOptions = {}): Promise<ToolOutput> {
  // Claimed before the first await: the caller learns synchronously who takes its lock.
  const handoff = opts.handoff?.claim() ? opts.handoff : undefined;
  const cp = await childProcess();
  if (opts.blocking) return runBlocking(cp, name, args, input, handoff);
  if (handoff) return runLocked(cp, handoff, name, args, input);
  return new Promise((resolve, reject) => {
    const child = cp.execFile(
      toolPath(name),
      args as string[],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C' } },
      (err, stdout, stderr) => {
        if (err) {
          const code = typeof (err as NodeJS.ErrnoException & { code?: unknown }).code === 'number'
            ? ((err as unknown as { code: number }).code)
            : null;
          reject(new ToolError(name, args, code, stderr || err.message));
        } else resolve({ stdout, stderr });
      },
    );
    if (input !== undefined) {
      // A child that exits without reading stdin breaks the pipe; its exit status tells the story.
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(input);
    }
  });
}

/**
 * An exclusive flock(2) that a tool's child process takes on the caller's behalf before the tool
 * runs, saving the caller a process of its own (Node has no flock). The lock belongs to the open
 * file description of `fd`, which the child shares as its fd 3, so it stays held by the caller
 * after the child has gone, until the caller closes `fd`.
 */
export interface LockHandoff {
  readonly fd: number;
  readonly timeoutSeconds: number;
  /** True for the one child that takes the lock; false once it has been claimed. */
  claim(): boolean;
  /** The claiming child reports: locked (no error), or why it could not lock. */
  settle(err?: Error): void;
}

// $1 flock, $2 timeout, then the tool and its arguments. fd 3: the lock file, fd 4: "locked".
// Async callers get the lock first and work under it while the tool runs; a blocking caller can
// only go on once the child is gone, so there the tool runs first and the lock is taken last —
// held for the caller's work only, never across the tool (parallel ADDs would queue behind it).
const LOCK_THEN_EXEC = '"$1" -x -w "$2" 3 || exit 75; printf L >&4; exec 4>&-; shift 2; exec "$@" 3<&-';
const EXEC_THEN_LOCK = 'f=$1 w=$2; shift 2; "$@" 3<&- 4>&-; rc=$?; "$f" -x -w "$w" 3 || exit 75; printf L >&4; exit $rc';

/** The argument vector that runs `name args` and takes the handoff's lock (see above). */
function lockedArgv(handoff: LockHandoff, name: string, args: readonly string[], lockLast: boolean): [string, string[]] {
  return [toolPath('sh'), ['-c', lockLast ? EXEC_THEN_LOCK : LOCK_THEN_EXEC, 'sh', toolPath('flock'), String(handoff.timeoutSeconds), toolPath(name), ...args]];
}

function runBlocking(cp: ChildProcessApi, name: string, args: readonly string[], input: string | undefined, handoff: LockHandoff | undefined): Promise<ToolOutput> {
  const [file, argv] = handoff ? lockedArgv(handoff, name, args, true) : [toolPath(name), [...args]];
  const r = cp.spawnSync(file, argv, {
    input: input ?? '',
    stdio: handoff ? ['pipe', 'pipe', 'pipe', handoff.fd, 'pipe'] : ['pipe', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, LC_ALL: 'C' },
  });
  const stdout = r.stdout?.toString() ?? '';
  const stderr = r.stderr?.toString() ?? '';
  if (handoff) {
    const locked = (r.output[4]?.length ?? 0) > 0;
    handoff.settle(locked ? undefined : (r.error ?? new Error(`flock: ${stderr.trim() || `exit ${r.status}`}`)));
  }
  // EPIPE: the child exited before reading all of stdin (e.g. a failed prelude); its exit status
  // and stderr still say what went wrong, so report those rather than the broken pipe.
  const epipe = (r.error as NodeJS.ErrnoException | undefined)?.code === 'EPIPE' && r.status !== null;
  if (r.error && !epipe) return Promise.reject(r.error);
  if (r.status === 0) return Promise.resolve({ stdout, stderr });
  return Promise.reject(new ToolError(name, args, r.status, stderr || `exit ${r.status ?? r.signal}`));
}

function runLocked(cp: ChildProcessApi, handoff: LockHandoff, name: string, args: readonly string[], input?: string): Promise<ToolOutput> {
  return new Promise((resolve, reject) => {
    let locked = false;
    const [file, argv] = lockedArgv(handoff, name, args, false);
    const child = cp.spawn(file, argv, {
      stdio: ['pipe', 'pipe', 'pipe', handoff.fd, 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    const signal = child.stdio[4] as NodeJS.ReadableStream;
    signal.on('data', () => {
      if (!locked) handoff.settle();
      locked = true;
    });
    signal.on('error', () => undefined);
    child.on('error', (e) => {
      if (!locked) handoff.settle(e);
      locked = true;
      reject(e);
    });
    child.on('close', (code) => {
      const stderr = Buffer.concat(err).toString();
      if (!locked) handoff.settle(new Error(`flock: ${stderr.trim() || `exit ${code}`}`));
      locked = true;
      if (code === 0) resolve({ stdout: Buffer.concat(out).toString(), stderr });
      else reject(new ToolError(name, args, code, stderr || `exit ${code}`));
    });
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(input ?? '');
  });
}
