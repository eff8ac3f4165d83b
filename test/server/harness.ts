/**
 * Test harness: a real `sextant server` child process on 127.0.0.1 with a free port and a
 * temporary data dir, and the real kubectl (/usr/bin/kubectl) run with execFile (no shell),
 * a fresh HOME (kubectl caches discovery and OpenAPI there) and `--kubeconfig`.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../free-port.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const KUBECTL = '/usr/bin/kubectl';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TestServer {
  url: string;
  kubeconfig: string;
  dir: string;
  /** Runs kubectl with this server's kubeconfig; never throws on a non-zero exit. */
  kubectl(args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<KubectlResult>;
  /** Starts kubectl and returns the process (for `get -w`). */
  spawnKubectl(args: string[]): ChildProcess;
  /** Writes a manifest into the test dir and returns its path. */
  manifest(name: string, text: string): string;
  /** Stops the server (SIGTERM, then SIGKILL) and keeps the data dir. */
  stop(): Promise<void>;
  /** Starts it again on the same data dir and port. */
  restart(): Promise<void>;
  /** Stops and removes everything. */
  cleanup(): Promise<void>;
}

async function waitFor<T>(what: string, fn: () => T | undefined, timeoutMs: number, child?: ChildProcess): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (child && child.exitCode !== null) throw new Error(`server exited (${child.exitCode}) while waiting for ${what}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * `command`: the node arguments that start sextant; the sources through tsx by default (benches
 * pass the bundle, test/bench/sextant-binary.ts).
 */
export async function startTestServer(extraArgs: string[] = [], command: string[] = ['--import', 'tsx', join(repo, 'cli/main.ts')]): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'sx-srv-'));
  const home = join(dir, 'home');
  mkdirSync(home);
  const kubeconfig = join(dir, 'kubeconfig');
  let child: ChildProcess | undefined;
  let stderr = '';
  let url = '';
  // A port below the ephemeral range: restart() binds it again, and an ephemeral one could be
  // taken meanwhile by any process's outgoing connection.
  let listen = `127.0.0.1:${await freePort()}`;
  // Node flags for the server process (NODE_OPTIONS refuses some), e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
  const nodeArgs = (process.env.SX_TEST_SERVER_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');

  const start = async () => {
    rmSync(kubeconfig, { force: true });
    rmSync(join(home, '.kube'), { recursive: true, force: true });
    stderr = '';
    child = spawn(
      process.execPath,
      [...nodeArgs, ...command, 'server', '--data-dir', join(dir, 'data'), '--listen', listen, '--write-kubeconfig', kubeconfig, ...extraArgs],
      { cwd: repo, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, SX_LOG_LEVEL: 'warn' } },
    );
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    try {
      url = await waitFor(
        'kubeconfig',
        () => {
          if (!existsSync(kubeconfig)) return undefined;
          return /server: (\S+)/.exec(readFileSync(kubeconfig, 'utf8'))?.[1];
        },
        60_000,
        child,
      );
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${stderr}`);
    }
  };

  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  };

  await start();
  listen = `127.0.0.1:${new URL(url).port}`;
  const env = () => ({ HOME: home, PATH: process.env.PATH ?? '/usr/bin:/bin', KUBECACHEDIR: join(home, '.kube', 'cache') });
  const server: TestServer = {
    get url() {
      return url;
    },
    kubeconfig,
    dir,
    kubectl: (args, opts = {}) =>
      new Promise((resolveRun) => {
        const p = execFile(
          KUBECTL,
          ['--kubeconfig', kubeconfig, ...args],
          { env: env(), timeout: opts.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024 },
          (err, stdout, stderrText) => {
            const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
            resolveRun({ code, stdout: String(stdout), stderr: String(stderrText) });
          },
        );
        if (opts.input !== undefined) p.stdin!.end(opts.input);
      }),
    spawnKubectl: (args) => spawn(KUBECTL, ['--kubeconfig', kubeconfig, ...args], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] }),
    manifest: (name, text) => {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    },
    stop,
    restart: async () => {
      await stop();
      await start();
    },
    cleanup: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

/** Splits `kubectl get` output into rows of whitespace-separated cells (header row first). */
export function tableOf(text: string): string[][] {
  return text
    .trim()
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => l.trim().split(/\s{2,}|\t/));
}

/** The cell of `row` (matched by first column) under `column`. */
export function cell(text: string, rowKey: string, column: string, keyColumn = 0): string | undefined {
  const [header, ...rows] = tableOf(text);
  const i = header!.indexOf(column);
  const row = rows.find((r) => r[keyColumn] === rowKey);
  return i < 0 || !row ? undefined : row[i];
}

/**
 * kubectl with an assertion for suites: `k` must succeed (answers stdout), `kFail` must fail
 * (answers stderr); each failure message shows the command and kubectl's output.
 */
export function kubectlAsserts(server: () => TestServer): { k(...args: string[]): Promise<string>; kFail(...args: string[]): Promise<string> } {
  return {
    async k(...args) {
      const r = await server().kubectl(args);
      assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed:\n${r.stderr}${r.stdout}`);
      return r.stdout;
    },
    async kFail(...args) {
      const r = await server().kubectl(args);
      assert.notEqual(r.code, 0, `kubectl ${args.join(' ')} should have failed:\n${r.stdout}`);
      return r.stderr;
    },
  };
}
