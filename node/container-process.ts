import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { toolPath } from '../kernel/exec-tool.js';
import { NodeAgentError } from './errors.js';

/** A process the agent started (or adopted after a restart), identified by PID and start time. */
export interface ProcessHandle {
  pid: number;
  /** Kernel start time (clock ticks since boot, /proc/PID/stat field 22): tells a reused PID apart. */
  startTicks: number;
}

export interface SpawnSpec {
  /** The pod's network namespace name (`ip netns exec` also bind-mounts /etc/netns/<ns>/*). */
  netns: string;
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  /** Stdout and stderr are appended here; the file outlives the agent, so output of adopted processes is kept. */
  logFile: string;
  /**
   * Where the exit-status recorder writes the command's exit status (decimal, newline-terminated)
   * when it ends, so an agent that is not the parent (it adopted the process) learns it too.
   */
  exitFile?: string;
}

/** `$0` of the recorder shell: tells it apart in `ps` and /proc/PID/cmdline. */
export const EXIT_RECORDER_NAME = 'sextant-exit-recorder';

/**
 * The exit-status recorder, run by `/bin/sh -c` with `$1` = the exit file and the command after it.
 * The command runs as its child in the same process group, so the agent's group signals reach it
 * directly; the shell catches them with a no-op trap (a handler, not an ignore, so the command
 * still gets default dispositions) and therefore survives to write `$?` (128+N for a signal) once
 * the command has ended — POSIX defers a trap until the foreground command completes. Only a
 * SIGKILL of the whole group leaves no file. The shell then exits with the same status.
 */
const RECORDER = 'f=$1; shift; trap : HUP INT QUIT TERM; "$@"; s=$?; printf \'%s\\n\' "$s" >"$f"; exit "$s"';

/**
 * The status the recorder wrote to `file`, or undefined when there is none (the process still
 * runs, was SIGKILLed with its recorder, or was started without one). A partial write (no newline
 * yet) counts as none.
 */
export function readExitStatus(file: string): number | undefined {
  try {
    const m = /^(\d{1,3})\n$/.exec(readFileSync(file, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Start time of PID from /proc, or undefined when the process is gone (or a zombie). */
export function processStartTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
    return Number(fields[19]);
  } catch {
    return undefined;
  }
}

export function isAlive(h: ProcessHandle): boolean {
  return processStartTicks(h.pid) === h.startTicks;
}

/**
 * Starts a container's command as a host process inside the pod's network namespace:
 * `ip netns exec <ns> argv...` (execFile-style; the command is never parsed by a shell — with
 * `exitFile` it is passed as arguments to the fixed exit-status recorder script). It runs in its
 * own session (process group = PID) so signals reach its children, detached from the agent so
 * that an agent restart leaves it running. `onExit` gets the exit code (or 128+signal) while the
 * agent is its parent; afterwards `readExitStatus(exitFile)` tells it.
 */
export function spawnContainer(s: SpawnSpec, onExit: (code: number, signal: NodeJS.Signals | null) => void): ProcessHandle {
  mkdirSync(dirname(s.logFile), { recursive: true });
  const fd = openSync(s.logFile, 'a');
  let child;
  try {
    const argv = s.exitFile ? ['/bin/sh', '-c', RECORDER, EXIT_RECORDER_NAME, s.exitFile, ...s.argv] : s.argv;
    child = spawn(toolPath('ip'), ['netns', 'exec', s.netns, ...argv], { cwd: s.cwd, env: s.env, stdio: ['ignore', fd, fd], detached: true });
  } finally {
    closeSync(fd);
  }
  if (child.pid === undefined) throw new NodeAgentError('NODE_START_FAILED', `cannot start ${s.argv[0]}`);
  const pid = child.pid;
  child.on('error', () => onExit(127, null));
  child.on('exit', (code, signal) => onExit(code ?? 128 + signalNumber(signal), signal));
  child.unref();
  return { pid, startTicks: processStartTicks(pid) ?? 0 };
}

const SIGNALS: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15, SIGSEGV: 11, SIGABRT: 6 };
const signalNumber = (s: NodeJS.Signals | null) => (s ? SIGNALS[s] ?? 0 : 0);

/** Signals the container's process group; false when it is already gone. */
export function signalContainer(h: ProcessHandle, signal: NodeJS.Signals): boolean {
  if (!isAlive(h)) return false;
  try {
    process.kill(-h.pid, signal);
    return true;
  } catch {
    try {
      process.kill(h.pid, signal);
      return true;
    } catch {
      return false;
    }
  }
}

/** Resolves when `h` has ended (polling /proc: adopted processes are not our children). */
export async function waitGone(h: ProcessHandle, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (!isAlive(h)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !isAlive(h);
}
