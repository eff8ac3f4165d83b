/**
 * Drives a real local cluster for the end-to-end tests: `sextant cluster up` from the built
 * bundle with a unique name, the real kubectl with its own HOME (kubectl caches discovery per
 * server), commands inside hosts and pods through `sextant cluster exec`, and `cluster down`
 * in the after hook whatever happened.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ClusterState } from '../../cluster/state.js';

const execFileP = promisify(execFile);
export const REPO = resolve(fileURLToPath(import.meta.url), '../../..');
export const SEXTANT = join(REPO, 'dist/sextant.mjs');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(file: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolvePromise) => {
    const child = execFile(file, args, { env: opts.env ?? process.env, maxBuffer: 32 << 20, timeout: opts.timeoutMs ?? 60_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolvePromise({ code, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Builds dist/ only when it is missing or older than a source file: `npm test` has just built it
 * (bootstrap), and rewriting the bundle while other tests' daemons start from it would race.
 */
export function ensureBuilt(): void {
  const built = existsSync(SEXTANT) ? statSync(SEXTANT).mtimeMs : 0;
  const roles = ['cli', 'daemon', 'controller', 'cni', 'proxy', 'dns', 'node', 'kernel', 'cluster'];
  if (roles.some((r) => existsSync(join(REPO, r)) && newestSource(join(REPO, r)) > built)) {
    execFileSync(process.execPath, ['tools/build.mjs'], { cwd: REPO, stdio: 'inherit' });
  }
}

/** Polls until `probe` returns a value other than undefined; fails with the last seen detail. */
export async function eventually<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, detail?: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not after ${timeoutMs} ms${detail ? ` (${detail()})` : ''}`);
    await sleep(250);
  }
}

export class TestCluster {
  readonly name = `e2e${randomBytes(2).toString('hex')}`;
  readonly home = mkdtempSync(join(tmpdir(), 'sx-e2e-home-'));
  readonly kubeconfig = join(this.home, 'kubeconfig');
  upOutput = '';

  /** Builds the bundle and brings the cluster up; throws with `cluster up`'s output on failure. */
  async up(nodes = 3): Promise<void> {
    if (process.getuid?.() !== 0) throw new Error('test/e2e needs root (network namespaces)');
    ensureBuilt();
    const r = await run(process.execPath, [SEXTANT, 'cluster', 'up', '--name', this.name, '--nodes', String(nodes), '--kubeconfig', this.kubeconfig, '--dns-replicas', '1'], { timeoutMs: 300_000 });
    this.upOutput = r.stdout + r.stderr;
    if (r.code !== 0) throw new Error(`cluster up failed:\n${this.upOutput}`);
  }

  state(): ClusterState {
    return JSON.parse(readFileSync(`/run/sextant/${this.name}/state.json`, 'utf8')) as ClusterState;
  }

  sextant(args: string[], timeoutMs = 60_000): Promise<Run> {
    return run(process.execPath, [SEXTANT, ...args], { timeoutMs });
  }

  /** The real kubectl against this cluster. */
  async kubectl(args: string[], input?: string): Promise<string> {
    const r = await run('kubectl', args, { env: { ...process.env, HOME: this.home, KUBECONFIG: this.kubeconfig }, ...(input !== undefined ? { input } : {}) });
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: exit ${r.code}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  }

  async json<T>(args: string[]): Promise<T> {
    return JSON.parse(await this.kubectl([...args, '-o', 'json'])) as T;
  }

  /** `sextant cluster exec <target> -- argv`. */
  exec(target: string, argv: string[], timeoutMs = 30_000): Promise<Run> {
    return this.sextant(['cluster', 'exec', '--name', this.name, target, '--', ...argv], timeoutMs);
  }

  /** The host namespace of a node, for reading its kernel state directly. */
  netnsOf(nodeName: string): string {
    const h = this.state().layout.hosts.find((x) => x.nodeName === nodeName);
    if (!h) throw new Error(`no node ${nodeName}`);
    return h.netns;
  }

  nodeNames(): string[] {
    return this.state().layout.hosts.filter((h) => h.nodeName).map((h) => h.nodeName!);
  }

  nodeIps(): string[] {
    return this.state().layout.hosts.filter((h) => h.nodeName).map((h) => h.ip);
  }

  /** The nat table of a node (`iptables-save` inside its namespace). */
  async natRules(nodeName: string): Promise<string> {
    const r = await run('ip', ['netns', 'exec', this.netnsOf(nodeName), 'iptables-save', '-t', 'nat']);
    return r.stdout;
  }

  async down(): Promise<Run> {
    return this.sextant(['cluster', 'down', '--name', this.name], 120_000);
  }

  /** After hook: down if still up, and the test's own files. */
  async cleanup(): Promise<void> {
    if (existsSync(`/run/sextant/${this.name}/state.json`)) await this.down();
    rmSync(this.home, { recursive: true, force: true });
  }
}

/**
 * A TCP client run with node inside a namespace: connects to each `host:port`, collects what the
 * server sends first (up to `bytes`) or, with `http`, the body of GET /.
 */
export const TCP_CLIENT = `
const net = require('net'), http = require('http');
const [mode, targets, count] = [process.argv[1], JSON.parse(process.argv[2]), Number(process.argv[3] || 1)];
const one = (t) => new Promise((resolve) => {
  const [host, port] = t.split(':');
  if (mode === 'http') {
    const req = http.get({ host, port: Number(port), path: '/', agent: false, timeout: 3000 }, (res) => {
      let b = ''; res.on('data', (c) => (b += c)); res.on('end', () => resolve(b.trim()));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve('ERROR ' + e.message));
    return;
  }
  const s = net.connect({ host, port: Number(port) });
  let got = Buffer.alloc(0);
  const done = (v) => { clearTimeout(timer); s.destroy(); resolve(v); };
  const timer = setTimeout(() => done(got.length ? got.toString('latin1') : 'ERROR timeout'), 3000);
  s.on('data', (d) => { got = Buffer.concat([got, d]); if (got.length >= 4 && got.length >= 4 + got.readUIntLE(0, 3)) done(got.toString('latin1')); });
  s.on('error', (e) => done('ERROR ' + e.message));
});
(async () => {
  const out = [];
  for (const t of targets) for (let i = 0; i < count; i++) out.push(await one(t));
  process.stdout.write(JSON.stringify(out));
})();
`;
