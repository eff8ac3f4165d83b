import { readFileSync, writeFileSync } from 'node:fs';
import { runTool } from './exec-tool.js';

/** Per-namespace kernel settings (`net.ipv4.ip_forward`, `net.ipv4.conf.eth0.arp_notify`, ...). */
export interface Sysctl {
  /** Sets `key`=`value` in `netnsPath` (undefined: the caller's own namespace). */
  set(netnsPath: string | undefined, settings: Record<string, string>): Promise<void>;
  get(netnsPath: string | undefined, key: string): Promise<string>;
}

/** `net.ipv4.ip_forward` or, as sysctl(8) accepts, the path form `net/ipv4/conf/eth0.100/arp_notify`. */
const procPath = (key: string) => `/proc/sys/${key.includes('/') ? key : key.replace(/\./g, '/')}`;
/** One spelling per key for the fake: the path form with '/' becomes the dotted form. */
const dotted = (key: string) => (key.includes('/') ? key.replace(/\//g, '.') : key);

/**
 * The real sysctl: /proc/sys in the caller's namespace; `nsenter --net=PATH sysctl` for another
 * one, because /proc/sys/net shows the namespace of the process that opens it.
 */
export const realSysctl: Sysctl = {
  async set(netnsPath, settings) {
    const entries = Object.entries(settings);
    if (!entries.length) return;
    if (!netnsPath) {
      for (const [k, v] of entries) writeFileSync(procPath(k), v);
      return;
    }
    await runTool('nsenter', [`--net=${netnsPath}`, '--', 'sysctl', '-q', '-w', ...entries.map(([k, v]) => `${k}=${v}`)]);
  },
  async get(netnsPath, key) {
    if (!netnsPath) return readFileSync(procPath(key), 'utf8').trim();
    return (await runTool('nsenter', [`--net=${netnsPath}`, '--', 'sysctl', '-n', key])).stdout.trim();
  },
};

/** In-memory sysctl for unit tests: keys must be set before they are read, like /proc/sys. */
export class FakeSysctl implements Sysctl {
  readonly values = new Map<string, string>();
  async set(netnsPath: string | undefined, settings: Record<string, string>): Promise<void> {
    for (const [k, v] of Object.entries(settings)) this.values.set(`${netnsPath ?? ''}|${dotted(k)}`, v);
  }
  async get(netnsPath: string | undefined, key: string): Promise<string> {
    const v = this.values.get(`${netnsPath ?? ''}|${dotted(key)}`);
    if (v === undefined) throw new Error(`sysctl ${key}: No such file or directory`);
    return v;
  }
}
