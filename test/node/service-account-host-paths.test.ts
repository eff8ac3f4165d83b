/**
 * The service-account host paths (mount point + `/run/secrets/...` symlink) are shared by every
 * agent on the machine and by pods that outlive their agent. Each agent here is its own process
 * (test/node/paths-user.ts) using the real registry, flock and process checks — on paths under a
 * test directory, because agents of other clusters may use the real ones meanwhile. After the
 * last user nothing remains; while a second agent runs the link keeps working; a running pod
 * (token directory + a process in its namespace) keeps the paths until `pruneServiceAccountPaths`
 * after its processes ended, a sandbox that never ran a process does not; a SIGKILLed
 * agent's reference is dropped; paths that existed before are never removed.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pruneServiceAccountPaths, serviceAccountLinkWorks, type ServiceAccountHostPaths } from '../../node/service-account-host-paths.js';

const REPO = new URL('../../', import.meta.url).pathname;
const DIR = mkdtempSync(join(tmpdir(), 'sx-sa-paths-'));
const children = new Set<ChildProcess>();
const namespaces: string[] = [];
let n = 0;

/** A fresh host layout: `<root>/etc` and `<root>/run` exist, as on a host. */
function layout(): ServiceAccountHostPaths {
  const root = join(DIR, `h${n++}`);
  for (const d of ['etc/netns', 'run']) mkdirSync(join(root, d), { recursive: true });
  return { mountPoint: join(root, 'etc/sextant-serviceaccount'), link: join(root, 'run/secrets/kubernetes.io/serviceaccount'), registry: join(root, 'run/sextant-serviceaccount-users'), podFilesDir: join(root, 'etc/netns'), podEntry: 'sextant-serviceaccount', netnsDir: '/run/netns' };
}

/** Everything under the layout's root besides the two pre-made folders (what would be left on a host). */
function leftovers(p: ServiceAccountHostPaths): string[] {
  const root = join(p.mountPoint, '../..');
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const full = join(d, e);
      const rel = full.slice(root.length + 1);
      if (!['etc', 'etc/netns', 'run'].includes(rel)) out.push(rel);
      if (lstatSync(full).isDirectory()) walk(full);
    }
  };
  walk(root);
  return out.sort();
}

class Agent {
  private child: ChildProcess;
  private out = '';
  constructor(p: ServiceAccountHostPaths) {
    this.child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'test/node/paths-user.ts'), JSON.stringify(p)], { cwd: REPO, stdio: ['pipe', 'pipe', 'inherit'] });
    children.add(this.child);
    this.child.stdout!.on('data', (b: Buffer) => (this.out += b.toString()));
    this.child.on('exit', () => children.delete(this.child));
  }
  private async wait(word: string): Promise<string> {
    const until = Date.now() + 60_000;
    while (!this.out.includes(word)) {
      if (this.child.exitCode !== null && !this.out.includes(word)) assert.fail(`agent exited ${this.child.exitCode} before "${word}": ${this.out}`);
      if (Date.now() > until) assert.fail(`agent: no "${word}": ${this.out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.out;
  }
  async acquired(): Promise<unknown> {
    const out = await this.wait('acquired ');
    return JSON.parse(/acquired (.*)/.exec(out)![1]!);
  }
  async release(): Promise<void> {
    this.child.stdin!.write('release\n');
    await this.wait('released');
    await new Promise((r) => (this.child.exitCode !== null ? r(undefined) : this.child.on('exit', r)));
  }
  async kill9(): Promise<void> {
    const exited = new Promise((r) => this.child.on('exit', r));
    this.child.kill('SIGKILL');
    await exited;
  }
}

describe('service-account host paths: reference-counted across agents and pods', { timeout: 180_000 }, () => {
  after(() => {
    for (const c of children) c.kill('SIGKILL');
    for (const ns of namespaces) if (existsSync(`/run/netns/${ns}`)) execFileSync('ip', ['netns', 'del', ns]);
    rmSync(DIR, { recursive: true, force: true });
  });

  it('the first agent makes them, a second keeps them working after the first stops, the last one removes all it made', async () => {
    const p = layout();
    const a = new Agent(p);
    assert.deepEqual(await a.acquired(), { ok: true });
    assert.ok(serviceAccountLinkWorks(p), 'the link leads to the mount point');
    const b = new Agent(p);
    assert.deepEqual(await b.acquired(), { ok: true });
    await a.release();
    assert.ok(serviceAccountLinkWorks(p), 'still there for the second agent');
    await b.release();
    assert.deepEqual(leftovers(p), [], 'nothing left after the last agent');
  });

  it("a running pod keeps them after the last agent; the prune after its processes ended removes them; a pod that never ran does not hold them", async () => {
    const p = layout();
    const a = new Agent(p);
    await a.acquired();
    // a pod: a token directory and a process in its network namespace
    const ns = `sx-sahp-${randomBytes(3).toString('hex')}`;
    execFileSync('ip', ['netns', 'add', ns]);
    namespaces.push(ns);
    mkdirSync(join(p.podFilesDir, ns, p.podEntry), { recursive: true });
    // a sandbox whose start was cut short: token directory and namespace, no process
    const stale = `sx-sahp-${randomBytes(3).toString('hex')}`;
    execFileSync('ip', ['netns', 'add', stale]);
    namespaces.push(stale);
    mkdirSync(join(p.podFilesDir, stale, p.podEntry), { recursive: true });
    const proc = spawn('ip', ['netns', 'exec', ns, 'sleep', '600'], { stdio: 'ignore' });
    children.add(proc);
    await new Promise((r) => proc.once('spawn', r));
    await a.release();
    assert.ok(serviceAccountLinkWorks(p), 'a running pod still reads its token through the link');
    assert.equal(await pruneServiceAccountPaths(p), false);
    assert.ok(serviceAccountLinkWorks(p));
    const gone = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await gone;
    assert.equal(await pruneServiceAccountPaths(p), true, 'no process in either pod namespace: unused');
    rmSync(join(p.podFilesDir, ns), { recursive: true });
    rmSync(join(p.podFilesDir, stale), { recursive: true });
    assert.deepEqual(leftovers(p), []);
  });

  it("a SIGKILLed agent's reference is dropped by the next change", async () => {
    const p = layout();
    const [a, b] = [new Agent(p), new Agent(p)];
    await Promise.all([a.acquired(), b.acquired()]);
    await a.kill9();
    assert.ok(serviceAccountLinkWorks(p));
    await b.release();
    assert.deepEqual(leftovers(p), []);
    // and with no agent left at all, cluster down's prune finishes the job
    const c = new Agent(p);
    await c.acquired();
    await c.kill9();
    assert.ok(existsSync(p.link));
    assert.equal(await pruneServiceAccountPaths(p), true);
    assert.deepEqual(leftovers(p), []);
  });

  it('paths that existed before are never removed; a foreign link is left alone and reported', async () => {
    const p = layout();
    mkdirSync(p.mountPoint);
    mkdirSync(join(p.link, '..'), { recursive: true });
    symlinkSync(p.mountPoint, p.link);
    const a = new Agent(p);
    assert.deepEqual(await a.acquired(), { ok: true });
    await a.release();
    assert.deepEqual(leftovers(p), ['etc/sextant-serviceaccount', 'run/secrets', 'run/secrets/kubernetes.io', 'run/secrets/kubernetes.io/serviceaccount']);

    const q = layout();
    mkdirSync(join(q.link, '..'), { recursive: true });
    writeFileSync(q.link, 'not ours');
    const b = new Agent(q);
    const setup = (await b.acquired()) as { ok: boolean; reason?: string };
    assert.equal(setup.ok, false);
    assert.match(setup.reason ?? '', /is not a symlink/);
    await b.release();
    assert.deepEqual(leftovers(q), ['run/secrets', 'run/secrets/kubernetes.io', 'run/secrets/kubernetes.io/serviceaccount'], 'the mount point we made is removed; the foreign file and its folders stay');
  });

  it('six agents acquiring and releasing at once: the link works while any holds it, nothing is left after', async () => {
    const p = layout();
    const agents = Array.from({ length: 6 }, () => new Agent(p));
    await Promise.all(agents.map((a) => a.acquired()));
    assert.ok(serviceAccountLinkWorks(p));
    await Promise.all(agents.slice(0, 5).map((a) => a.release()));
    assert.ok(serviceAccountLinkWorks(p), 'the sixth still holds it');
    await agents[5]!.release();
    assert.deepEqual(leftovers(p), []);
    // and a new round starts from scratch
    const again = [new Agent(p), new Agent(p)];
    await Promise.all(again.map((a) => a.acquired()));
    await Promise.all(again.map((a) => a.release()));
    assert.deepEqual(leftovers(p), []);
  });
});
