/**
 * `pods/exec` on the node agent (the kubelet's `/exec/<namespace>/<pod>/<container>`), reached
 * only through the API server over the agent's mTLS endpoint (node/log-server.ts): the WebSocket
 * remotecommand protocol `v5.channel.k8s.io` (and `v4`, which cannot signal the end of stdin).
 * The command runs as a container runs (node/container-process.ts): `ip netns exec <pod netns>`
 * — the pod's network namespace and the private mount namespace with its /etc/netns files —
 * with the container's environment and working directory. No TTY: `-t` gets plain pipes.
 *
 * Channels (first byte of each binary message): 0 stdin, 1 stdout, 2 stderr, 3 error/status
 * (a v1 Status: Success, or Failure with reason NonZeroExitCode and the code as the ExitCode
 * cause, which kubectl turns into its own exit code), 4 resize (ignored), 255 close (v5: `[255, 0]`
 * ends stdin).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type http from 'node:http';
import type { Socket } from 'node:net';
import type { Pod } from '../controller/api/index.js';
import { toolPath } from '../kernel/exec-tool.js';
import { containerEnv } from './container-env.js';
import type { UpgradeHandler } from './log-server.js';
import { acceptWebSocket, refuseUpgrade } from './websocket.js';

export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;
const CH = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

/** Where and how an exec'd command runs. */
export interface ExecTarget {
  netns: string;
  env: Record<string, string>;
  cwd: string;
}

/** Finds the exec target of a pod's container on this node, or why not (HTTP code). */
export type ExecLocator = (namespace: string, pod: string, container: string | undefined) => ExecTarget | { error: string; code: number };

/** The exec target of `container` (default: the only one) of `pod`, whose sandbox is `run`. */
export function execTargetOf(
  pod: Pod,
  run: { netns: string; podIp: string | undefined },
  container: string | undefined,
  node: { nodeName: string; nodeIp: string },
  serviceEnv: Record<string, string>,
): ExecTarget | { error: string; code: number } {
  const name = pod.metadata.name ?? '';
  const names = pod.spec.containers.map((c) => c.name);
  const c = container ?? (names.length === 1 ? names[0] : undefined);
  if (!c) return { error: `a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`, code: 400 };
  const spec = pod.spec.containers.find((x) => x.name === c);
  if (!spec) return { error: `container ${c} is not valid for pod ${name}`, code: 400 };
  if (!existsSync(`/run/netns/${run.netns}`)) return { error: `pod ${name} has no sandbox on node ${node.nodeName} yet`, code: 404 };
  const env = containerEnv(pod, spec, serviceEnv, { podIp: run.podIp ?? '', hostIp: node.nodeIp, nodeName: node.nodeName });
  return { netns: run.netns, env, cwd: spec.workingDir && existsSync(spec.workingDir) ? spec.workingDir : '/' };
}

const flag = (q: URLSearchParams, k: string) => q.get(k) === 'true' || q.get(k) === '1';

/** The Status kubectl reads from the error channel when the command has ended. */
export function exitStatus(code: number, command: readonly string[]): object {
  if (code === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

const message = (channel: number, data: Buffer | string) => Buffer.concat([Buffer.of(channel), typeof data === 'string' ? Buffer.from(data) : data]);

/** The upgrade handler of the agent's endpoint for `/exec/<namespace>/<pod>/<container>`. */
export function execUpgradeHandler(locate: ExecLocator, log?: { warn(msg: string, meta?: Record<string, unknown>): void }): UpgradeHandler {
  return (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'https://agent');
    const m = /^\/exec\/([^/]+)\/([^/]+)(?:\/([^/]+))?$/.exec(url.pathname);
    if (!m) return refuseUpgrade(socket, 404, 'Not Found', 'not found\n');
    const command = url.searchParams.getAll('command');
    if (command.length === 0 || command[0] === '') return refuseUpgrade(socket, 400, 'Bad Request', 'you must specify at least one command for the container\n');
    const wantStdin = flag(url.searchParams, 'stdin') || flag(url.searchParams, 'input');
    const tty = flag(url.searchParams, 'tty');
    const wantStdout = flag(url.searchParams, 'stdout') || flag(url.searchParams, 'output');
    const wantStderr = flag(url.searchParams, 'stderr') || flag(url.searchParams, 'error');
    const target = locate(decodeURIComponent(m[1]!), decodeURIComponent(m[2]!), m[3] ? decodeURIComponent(m[3]) : url.searchParams.get('container') ?? undefined);
    if ('error' in target) return refuseUpgrade(socket, target.code, target.code === 404 ? 'Not Found' : 'Bad Request', `${target.error}\n`);

    let child: ReturnType<typeof spawn> | undefined;
    let exited = false;
    const stdinQueue: (Buffer | null)[] = [];
    const conn = acceptWebSocket(req, socket, head, EXEC_PROTOCOLS, {
      onMessage: (data) => {
        if (data.length === 0) return;
        const ch = data[0]!;
        if (ch === CH.stdin && wantStdin) {
          if (child?.stdin) child.stdin.write(data.subarray(1));
          else stdinQueue.push(data.subarray(1));
        } else if (ch === CH.close && data[1] === CH.stdin && wantStdin) {
          if (child?.stdin) child.stdin.end();
          else stdinQueue.push(null);
        }
        // CH.resize: no TTY here, nothing to resize
      },
      onClose: () => {
        // the client went away before the command ended: end it (its whole process group)
        if (child?.pid !== undefined && !exited) {
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      },
    });
    if (!conn) return;
    const ws = conn;
    try {
      child = spawn(toolPath('ip'), ['netns', 'exec', target.netns, ...command], {
        cwd: target.cwd,
        env: target.env,
        stdio: [wantStdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
        detached: true,
      });
    } catch (err) {
      ws.send(message(CH.error, JSON.stringify({ metadata: {}, status: 'Failure', message: `cannot start ${command[0]}: ${(err as Error).message}`, reason: 'InternalError', code: 500 })));
      ws.close();
      return;
    }
    const proc = child;
    proc.stdin?.on('error', () => undefined);
    for (const d of stdinQueue.splice(0)) {
      if (d === null) proc.stdin?.end();
      else proc.stdin?.write(d);
    }
    // A slow client holds the command back (the pipe pauses until the socket drains). With a TTY
    // there is one output stream: stderr goes to stdout as a terminal would show it.
    const forward = (stream: NodeJS.ReadableStream, channel: number | undefined) => {
      stream.on('data', (d: Buffer) => {
        if (channel === undefined || ws.send(message(channel, d))) return;
        stream.pause();
        ws.onDrain(() => stream.resume());
      });
    };
    forward(proc.stdout!, wantStdout ? CH.stdout : undefined);
    forward(proc.stderr!, wantStderr ? CH.stderr : tty && wantStdout ? CH.stdout : undefined);
    proc.on('error', (err) => {
      if (exited) return;
      exited = true;
      log?.warn('exec failed to start', { command: command[0], error: err.message });
      ws.send(message(CH.error, JSON.stringify({ metadata: {}, status: 'Failure', message: `cannot start ${command[0]}: ${err.message}`, reason: 'InternalError', code: 500 })));
      ws.close();
    });
    // 'close': the process has exited and its output pipes are drained
    proc.on('close', (code, signal) => {
      if (exited) return;
      exited = true;
      const status = code ?? 128 + (signal ? signalNumber(signal) : 0);
      ws.send(message(CH.error, JSON.stringify(exitStatus(status, command))));
      ws.close();
    });
  };
}

const SIGNALS: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15 };
const signalNumber = (s: NodeJS.Signals) => SIGNALS[s] ?? 0;
