import { spawn } from 'node:child_process';

/** Output of one tool run. */
export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a tool without a shell (argument vector only), inside network namespace `netns` via
 * `ip netns exec` when given, feeding `input` on stdin. Never throws for a non-zero exit: callers
 * decide what an exit code means (conntrack exits 1 when nothing matched).
 */
export function runTool(cmd: string, args: readonly string[], opts: { netns?: string; input?: string } = {}): Promise<ToolResult> {
  const [file, argv] = opts.netns ? ['ip', ['netns', 'exec', opts.netns, cmd, ...args]] : [cmd, [...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}
