import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/** Runs `cmd` inside network namespace `ns` and returns stdout; throws with stderr on failure. */
export function nsExec(ns: string, cmd: string, ...args: string[]): string {
  return execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const SERVER = `
const net = require('net'), dgram = require('dgram');
const name = process.argv[2];
let ready = 0;
const done = () => { if (++ready === 2) process.stdout.write('ready\\n'); };
net.createServer((s) => { s.on('error', () => {}); s.end(name + ' ' + s.remoteAddress.replace('::ffff:', '') + '\\n'); }).listen(8080, '0.0.0.0', done);
const u = dgram.createSocket('udp4');
u.on('message', (m, r) => u.send(name + ' ' + r.address, r.port, r.address));
u.bind(5353, '0.0.0.0', done);
`;

const CLIENT = `
const net = require('net'), dgram = require('dgram');
const o = JSON.parse(process.argv[2]);
const replies = [], errors = {};
const tcpOnce = () => new Promise((resolve) => {
  const s = net.connect({ host: o.host, port: o.port });
  let data = '';
  const t = setTimeout(() => { s.destroy(); errors.TIMEOUT = (errors.TIMEOUT || 0) + 1; resolve(); }, 2000);
  s.on('data', (d) => (data += d));
  s.on('end', () => { clearTimeout(t); replies.push(data.trim()); resolve(); });
  s.on('error', (e) => { clearTimeout(t); errors[e.code] = (errors[e.code] || 0) + 1; resolve(); });
});
const udp = () => new Promise((resolve) => {
  const u = dgram.createSocket('udp4');
  let left = o.count;
  const send = () => u.send('hi', o.port, o.host);
  const t = setTimeout(() => { errors.TIMEOUT = left; u.close(); resolve(); }, 2000);
  u.on('message', (m) => { replies.push(String(m)); if (--left === 0) { clearTimeout(t); u.close(); resolve(); } else send(); });
  u.bind(o.sport, send);
});
(async () => {
  if (o.mode === 'udp') await udp();
  else for (let i = 0; i < o.count; i++) await tcpOnce();
  process.stdout.write(JSON.stringify({ replies, errors }));
})();
`;

export interface ClientResult {
  /** `podname peer-address` per successful exchange. */
  replies: string[];
  errors: Record<string, number>;
}

/**
 * A node namespace with pods behind a bridge (br_netfilter is per-namespace and on by default) and
 * an outside client on an underlay veth:
 *
 *   outside 192.168.50.3 ── eth0 | node 192.168.50.2, br0 10.244.1.1/24 | pods p1..pN 10.244.1.2..
 */
export class NetnsLab {
  readonly id = randomBytes(3).toString('hex');
  readonly node = `sx-pxn-${this.id}`;
  readonly outside = `sx-pxo-${this.id}`;
  readonly pods: { name: string; ns: string; ip: string }[] = [];
  private readonly dir = mkdtempSync(join(tmpdir(), 'sx-proxy-lab-'));
  private readonly procs: ChildProcess[] = [];
  private readonly namespaces: string[] = [];

  constructor(private readonly podCount: number) {}

  async up(): Promise<void> {
    writeFileSync(join(this.dir, 'server.cjs'), SERVER);
    writeFileSync(join(this.dir, 'client.cjs'), CLIENT);
    const ip = (...a: string[]) => execFileSync('ip', a, { stdio: ['ignore', 'pipe', 'pipe'] });
    for (const ns of [this.node, this.outside]) {
      ip('netns', 'add', ns);
      this.namespaces.push(ns);
      nsExec(ns, 'ip', 'link', 'set', 'lo', 'up');
    }
    nsExec(this.node, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1');
    ip('link', 'add', 'sxu0', 'netns', this.node, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', this.outside);
    nsExec(this.node, 'ip', 'addr', 'add', '192.168.50.2/24', 'dev', 'sxu0');
    nsExec(this.node, 'ip', 'link', 'set', 'sxu0', 'up');
    nsExec(this.outside, 'ip', 'addr', 'add', '192.168.50.3/24', 'dev', 'eth0');
    nsExec(this.outside, 'ip', 'link', 'set', 'eth0', 'up');
    nsExec(this.node, 'ip', 'route', 'add', 'default', 'via', '192.168.50.3');
    nsExec(this.node, 'ip', 'link', 'add', 'br0', 'type', 'bridge');
    nsExec(this.node, 'ip', 'addr', 'add', '10.244.1.1/24', 'dev', 'br0');
    nsExec(this.node, 'ip', 'link', 'set', 'br0', 'up');
    for (let i = 1; i <= this.podCount; i++) {
      const pod = { name: `p${i}`, ns: `sx-pxp${i}-${this.id}`, ip: `10.244.1.${i + 1}` };
      ip('netns', 'add', pod.ns);
      this.namespaces.push(pod.ns);
      ip('link', 'add', `vp${i}`, 'netns', this.node, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod.ns);
      nsExec(this.node, 'ip', 'link', 'set', `vp${i}`, 'master', 'br0', 'up');
      // As the CNI bridge plugin's hairpinMode: a pod may reach itself through a service.
      nsExec(this.node, 'ip', 'link', 'set', `vp${i}`, 'type', 'bridge_slave', 'hairpin', 'on');
      nsExec(pod.ns, 'ip', 'link', 'set', 'lo', 'up');
      nsExec(pod.ns, 'ip', 'addr', 'add', `${pod.ip}/24`, 'dev', 'eth0');
      nsExec(pod.ns, 'ip', 'link', 'set', 'eth0', 'up');
      nsExec(pod.ns, 'ip', 'route', 'add', 'default', 'via', '10.244.1.1');
      this.pods.push(pod);
      await this.startServer(pod.ns, pod.name);
    }
  }

  private startServer(ns: string, name: string): Promise<void> {
    const p = spawn('ip', ['netns', 'exec', ns, process.execPath, join(this.dir, 'server.cjs'), name], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.procs.push(p);
    return new Promise((resolve, reject) => {
      p.stdout!.once('data', () => resolve());
      p.once('exit', (code) => reject(new Error(`server ${name} exited ${code}`)));
    });
  }

  /** TCP: `count` sequential connections; UDP: `count` exchanges from source port `sport`. */
  async client(ns: string, o: { mode: 'tcp' | 'udp'; host: string; port: number; count: number; sport?: number }): Promise<ClientResult> {
    const { stdout } = await execFileP('ip', ['netns', 'exec', ns, process.execPath, join(this.dir, 'client.cjs'), JSON.stringify(o)], { maxBuffer: 16 << 20 });
    return JSON.parse(stdout) as ClientResult;
  }

  /** Stops every process and removes every namespace and file the lab created. */
  down(): void {
    for (const p of this.procs) if (p.pid && p.exitCode === null) p.kill('SIGKILL');
    for (const ns of this.namespaces.reverse()) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        /* already gone */
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
