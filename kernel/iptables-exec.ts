import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';

/** The program and arguments that run `cmd args` inside network namespace `netns` (`ip netns exec`), or as is. */
function commandLine(cmd: string, args: readonly string[], netns: string | undefined): [string, string[]] {
  return netns ? ['ip', ['netns', 'exec', netns, cmd, ...args]] : [cmd, [...args]];
}

/** Output of one tool run. */
export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a tool without a shell (argument vector only), inside network namespace `netns` via
 * `ip netns exec` when given, feeding `input` on stdin: a string, or lines (written as if joined
 * with `\n`, see writeLines). Never throws for a non-zero exit: callers decide what an exit code
 * means (conntrack exits 1 when nothing matched).
 */
export function runTool(cmd: string, args: readonly string[], opts: { netns?: string; input?: string | readonly string[] } = {}): Promise<ToolResult> {
  const [file, argv] = commandLine(cmd, args, opts.netns);
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    child.stdin.on('error', () => {});
    if (typeof opts.input === 'string' || opts.input === undefined) child.stdin.end(opts.input ?? '');
    else void writeLines(child.stdin, opts.input);
  });
}

/** Bytes of `lines.join('\n')` without building it. */
export const joinedLength = (lines: readonly string[]): number => lines.reduce((n, l) => n + l.length, Math.max(0, lines.length - 1));

/**
 * Writes `lines.join('\n')` to `out` in pieces of about 32 KB, waiting for the pipe to drain, then
 * ends it. A 24 MB payload never exists as one string: each piece is small and short-lived,
 * where a joined multi-megabyte string (and its Buffer copy for the pipe) lands in V8's
 * large-object space and stays until the next full GC. Stops quietly if the reader goes away
 * (the tool's exit code tells the caller what happened).
 */
export async function writeLines(out: Writable, lines: readonly string[]): Promise<void> {
  let i = 0;
  while (i < lines.length && !out.destroyed) {
    let j = i;
    let size = 0;
    while (j < lines.length && size < 32_768) size += lines[j++]!.length + 1;
    const piece = lines.slice(i, j).join('\n') + (j < lines.length ? '\n' : '');
    i = j;
    if (!out.write(piece)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          out.off('drain', done);
          out.off('close', done);
          resolve();
        };
        out.on('drain', done);
        out.on('close', done);
      });
    }
  }
  if (!out.destroyed) out.end();
}

/**
 * Like runTool, but hands stdout to `onLine` one line at a time (without the newline) instead of
 * collecting it: reading a 24 MB `iptables-save` this way never holds the dump, only the line
 * being handled. Every line is a string of its own (not a slice of a larger chunk), so keeping a
 * piece of one does not keep the chunk alive. Resolves with the exit code and stderr.
 */
export function streamTool(
  cmd: string,
  args: readonly string[],
  onLine: (line: string) => void,
  opts: { netns?: string } = {},
): Promise<{ code: number; stderr: string }> {
  const [file, argv] = commandLine(cmd, args, opts.netns);
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    const err: Buffer[] = [];
    let carry: Buffer | undefined;
    let failure: unknown;
    child.stdout.on('data', (chunk: Buffer) => {
      if (failure !== undefined) return;
      const buf = carry ? Buffer.concat([carry, chunk]) : chunk;
      let start = 0;
      try {
        for (let nl = buf.indexOf(10, start); nl >= 0; nl = buf.indexOf(10, start)) {
          onLine(buf.toString('utf8', start, nl));
          start = nl + 1;
        }
      } catch (e) {
        failure = e;
        child.kill();
        return;
      }
      // A copy, so the carried tail does not pin the whole chunk.
      carry = start < buf.length ? Buffer.from(buf.subarray(start)) : undefined;
    });
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      if (failure !== undefined) return reject(failure);
      try {
        if (carry && carry.length > 0) onLine(carry.toString('utf8'));
      } catch (e) {
        return reject(e);
      }
      resolve({ code: code ?? 1, stderr: Buffer.concat(err).toString() });
    });
  });
}
