/**
 * A real `sextant server` process with its default (secure) settings, for the security tests:
 * HTTPS with the cluster CA, the credentials it writes, and a raw HTTPS caller that presents any
 * credential (client certificate, bearer token, or none) so a test can act as anyone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadKubeconfig } from '../../controller/api/kubeconfig.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface Credential {
  cert?: string;
  key?: string;
  token?: string;
}

export interface Answer {
  code: number;
  body: string;
  json: { message?: string; reason?: string; status?: { token?: string } } | undefined;
}

export interface SecureServer {
  url: string;
  dir: string;
  dataDir: string;
  ca: string;
  /** The credential of a kubeconfig the server wrote (`admin`, `viewer`, `proxy`, `dns`, `node-<name>`). */
  credential(name: string): Credential;
  call(cred: Credential, method: string, path: string, body?: unknown, contentType?: string): Promise<Answer>;
  child(): ChildProcess;
  stop(): Promise<void>;
  cleanup(): Promise<void>;
}

export async function startSecureServer(extraArgs: string[] = [], files: Record<string, string> = {}): Promise<SecureServer> {
  const dir = mkdtempSync(join(tmpdir(), 'sx-sec-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const dataDir = join(dir, 'data');
  const kubeconfig = join(dir, 'kubeconfig');
  let stderr = '';
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(repo, 'cli/main.ts'), 'server', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--write-kubeconfig', kubeconfig, '--sqlite-synchronous', 'NORMAL', ...extraArgs.map((a) => a.replace('$DIR', dir))],
    { cwd: repo, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, SX_LOG_LEVEL: 'warn' } },
  );
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const deadline = Date.now() + 60_000;
  while (!existsSync(kubeconfig)) {
    if (child.exitCode !== null) throw new Error(`server exited ${child.exitCode}: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`server did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const admin = loadKubeconfig(kubeconfig);
  const stop = async () => {
    if (child.exitCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(t);
  };
  const s: SecureServer = {
    url: admin.server,
    dir,
    dataDir,
    ca: admin.ca!,
    credential(name) {
      const c = loadKubeconfig(join(dataDir, 'credentials', `${name}.kubeconfig`));
      return { ...(c.cert ? { cert: c.cert, key: c.key! } : {}), ...(c.token ? { token: c.token } : {}) };
    },
    call: (cred, method, path, body, contentType) => callApi({ server: admin.server, ca: admin.ca! }, cred, method, path, body, contentType),
    child: () => child,
    stop,
    cleanup: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return s;
}

/**
 * One HTTPS request to an API server, presenting `cred` (client certificate, bearer token, or
 * none) and sending `body` as JSON; the answer's JSON is parsed when it is JSON.
 */
export function callApi<J = Answer['json']>(
  target: { server: string; ca: string },
  cred: Credential,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<{ code: number; body: string; json: J | undefined }> {
  return new Promise((resolveCall, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (payload) {
      headers['Content-Type'] = contentType;
      headers['Content-Length'] = String(payload.length);
    }
    if (cred.token) headers.Authorization = `Bearer ${cred.token}`;
    const req = https.request(new URL(path, target.server), { method, headers, ca: target.ca, ...(cred.cert ? { cert: cred.cert, key: cred.key } : {}), agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let json: J | undefined;
        try {
          json = JSON.parse(text) as J;
        } catch {
          json = undefined;
        }
        resolveCall({ code: res.statusCode ?? 0, body: text, json });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** A kubeconfig file's server line (for tests that read it). */
export const serverOf = (kubeconfigPath: string): string => /server: (\S+)/.exec(readFileSync(kubeconfigPath, 'utf8'))![1]!;
