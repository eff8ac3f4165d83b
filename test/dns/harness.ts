/**
 * Namespace harness for the DNS tests: a network namespace `sx-dns-<random>` with loopback and a
 * dummy interface carrying 10.53.0.1/24 (so glibc's AI_ADDRCONFIG sees a non-loopback address),
 * its own /etc/netns/<ns>/resolv.conf, and the fixture DNS server running inside it. Everything is
 * removed in `cleanup()`, which tests call from `after` hooks so failures clean up too.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import readline from 'node:readline';

export const SERVER_IP = '10.53.0.1';

export interface Event { event?: string; [k: string]: unknown }

export class DnsNamespace {
  readonly ns = `sx-dns-${randomBytes(3).toString('hex')}`;
  private server: ChildProcess | undefined;
  events: Event[] = [];
  private waiters: { pred: (e: Event) => boolean; resolve: (e: Event) => void }[] = [];

  setup(): void {
    const run = (args: string[]) => {
      const r = spawnSync('ip', args, { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
    };
    run(['netns', 'add', this.ns]);
    run(['-n', this.ns, 'link', 'set', 'lo', 'up']);
    run(['-n', this.ns, 'link', 'add', 'sx0', 'type', 'veth', 'peer', 'name', 'sx1']);
    run(['-n', this.ns, 'link', 'set', 'sx1', 'up']);
    run(['-n', this.ns, 'addr', 'add', `${SERVER_IP}/24`, 'dev', 'sx0']);
    run(['-n', this.ns, 'link', 'set', 'sx0', 'up']);
    mkdirSync(`/etc/netns/${this.ns}`, { recursive: true });
    writeFileSync(`/etc/netns/${this.ns}/resolv.conf`, `nameserver ${SERVER_IP}\nsearch ns1.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5 attempts:1 timeout:2\n`);
  }

  /** Starts the fixture server in the namespace with a config object; resolves once it listens. */
  async startServer(config: object, stub?: string): Promise<void> {
    this.events = [];
    const child = spawn('ip', ['netns', 'exec', this.ns, process.execPath, '--import', 'tsx', 'test/dns/fixture-server.ts'], {
      env: { ...process.env, SX_DNS_CONFIG: JSON.stringify(config), ...(stub ? { SX_DNS_STUB: stub } : {}) },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.server = child;
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      let e: Event;
      try { e = JSON.parse(line) as Event; } catch { return; }
      if (!e.event && typeof e.rcode === 'string') e.event = 'query';
      this.events.push(e);
      this.waiters = this.waiters.filter((w) => (w.pred(e) ? (w.resolve(e), false) : true));
    });
    await this.waitFor((e) => e.event === 'listening', 30_000);
  }

  waitFor(pred: (e: Event) => boolean, timeoutMs = 10_000): Promise<Event> {
    const found = this.events.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('timed out waiting for server event')), timeoutMs);
      this.waiters.push({ pred, resolve: (e) => { clearTimeout(t); resolve(e); } });
    });
  }

  /** Sends an index change to the server and waits until it is applied. */
  async apply(op: string, obj: object): Promise<void> {
    const n = this.events.filter((e) => e.event === 'applied').length;
    this.server!.stdin!.write(`${JSON.stringify({ op, obj })}\n`);
    await this.waitFor(() => this.events.filter((e) => e.event === 'applied').length > n);
  }

  async stopServer(): Promise<void> {
    const s = this.server;
    if (!s || s.exitCode !== null) return;
    this.server = undefined;
    const done = new Promise((r) => s.once('exit', r));
    s.stdin?.end();
    const t = setTimeout(() => s.kill('SIGKILL'), 5000);
    await done;
    clearTimeout(t);
  }

  /** Runs a command inside the namespace. */
  exec(cmd: string[], timeoutMs = 20_000): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync('ip', ['netns', 'exec', this.ns, ...cmd], { encoding: 'utf8', timeout: timeoutMs });
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  dig(args: string[], port = 53): string {
    const r = this.exec(['dig', `@${SERVER_IP}`, '-p', String(port), '+tries=1', '+time=3', ...args]);
    return r.stdout;
  }

  async cleanup(): Promise<void> {
    await this.stopServer().catch(() => {});
    spawnSync('ip', ['netns', 'del', this.ns]);
    rmSync(`/etc/netns/${this.ns}`, { recursive: true, force: true });
  }
}

/** The answer lines of `dig +noall +answer`-style output, whitespace-normalised and sorted. */
export const lines = (out: string): string[] => out.split('\n').map((l) => l.trim().replace(/\s+/g, ' ')).filter((l) => l && !l.startsWith(';')).sort();

/** The status (`NOERROR`, `NXDOMAIN`, ...) from dig's header comment. */
export const status = (out: string): string => /status: (\w+)/.exec(out)?.[1] ?? 'NO-ANSWER';
export const flagsOf = (out: string): string[] => (/;; flags: ([a-z ]+);/.exec(out)?.[1] ?? '').trim().split(' ');
