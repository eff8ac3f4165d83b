import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';

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

/**
 * Runs a system tool without a shell (arguments are never interpreted), optionally feeding
 * `input` on stdin. Rejects with a ToolError carrying stderr when the tool exits non-zero.
 */
export function runTool(name: string, args: readonly string[], input?: string): Promise<ToolOutput> {
  return new Promise((resolve, reject) => {
    const child = execFile(
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
    if (input !== undefined) child.stdin?.end(input);
  });
}
