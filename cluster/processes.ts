/**
 * Daemons of the local cluster as detached processes: started inside a host's network namespace
 * with `nsenter --net` (which execs, so the recorded PID is the daemon itself, and the mount
 * namespace stays the machine's so `ip netns add` by the agent is visible to everyone), output
 * appended to a log file, identified by PID plus kernel start time. Stopping checks the start time
 * first: a PID reused by an unrelated process is never signalled.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { ClusterError } from './errors.js';
import { netnsPath } from './netns.js';
import type { ProcessRecord } from './state.js';

/** Field 22 (starttime) of /proc/PID/stat, or undefined when the process is gone or a zombie. */
export function processStartTime(pid: number): string | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
  return fields[19];
}

/** True while the recorded process (same PID and start time) runs. */
export const isRunning = (p: Pick<ProcessRecord, 'pid' | 'startTime'>): boolean => processStartTime(p.pid) === p.startTime;

export interface StartSpec {
  id: string;
  host: string;
  /** Namespace to run in; undefined = the machine's own (only the loopback forwarder). */
  netns?: string;
  argv: string[];
  log: string;
  env?: Record<string, string>;
}

/** Starts the daemon detached from this process; returns its record for the state file. */
export function startProcess(s: StartSpec): ProcessRecord {
  mkdirSync(dirname(s.log), { recursive: true });
  const fd = openSync(s.log, 'a');
  const [file, args] = s.netns ? ['nsenter', [`--net=${netnsPath(s.netns)}`, '--', ...s.argv]] : [s.argv[0]!, s.argv.slice(1)];
  try {
    const child = spawn(file, args, { detached: true, stdio: ['ignore', fd, fd], env: { ...process.env, ...s.env } });
    child.unref();
    const pid = child.pid;
    if (!pid) throw new ClusterError('CLUSTER_PROCESS_FAILED', `${s.id}: could not start ${file}`);
    const startTime = processStartTime(pid);
    if (!startTime) throw new ClusterError('CLUSTER_PROCESS_FAILED', `${s.id}: exited at once (see ${s.log})`);
    return { id: s.id, host: s.host, pid, startTime, argv: s.argv, log: s.log };
  } finally {
    closeSync(fd);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SIGTERM, wait up to `graceMs`, then SIGKILL; a no-op for a process that is already gone. */
export async function stopProcess(p: Pick<ProcessRecord, 'pid' | 'startTime'>, graceMs = 5000): Promise<void> {
  if (!isRunning(p)) return;
  try {
    process.kill(p.pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isRunning(p)) return;
    await sleep(50);
  }
  if (isRunning(p)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      /* gone meanwhile */
    }
  }
  for (let i = 0; i < 40 && isRunning(p); i++) await sleep(25);
}

/**
 * Processes whose network namespace is one of `namespaces` (by kernel identity): pods the agents
 * started and anything `cluster exec` left behind. Used by `cluster down` so no process outlives
 * the namespaces the cluster made.
 */
export function processesInNetns(namespaces: readonly string[]): { pid: number; startTime: string }[] {
  const wanted = new Set<string>();
  for (const ns of namespaces) {
    try {
      wanted.add(`net:[${statSync(netnsPath(ns)).ino}]`);
    } catch {
      /* already gone */
    }
  }
  if (wanted.size === 0) return [];
  const found: { pid: number; startTime: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      if (!wanted.has(readlinkSync(`/proc/${pid}/ns/net`))) continue;
    } catch {
      continue;
    }
    const startTime = processStartTime(pid);
    if (startTime) found.push({ pid, startTime });
  }
  return found;
}
