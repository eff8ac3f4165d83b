import type { MasqChains } from '../../kernel/ipmasq.js';
import type { IpNetlinkOptions } from '../../kernel/netlink/ip-command.js';
import type { Netlink, NetlinkOp } from '../../kernel/netlink/types.js';
import type { Netns } from '../../kernel/netns.js';
import type { Sysctl } from '../../kernel/sysctl.js';
import type { NodeSubnet } from '../subnet-file.js';
import type { NetConfig } from './config.js';
import type { CniEnv } from './env.js';

/** Runs another CNI plugin binary (delegated IPAM): env additions, stdin, its stdout and exit. */
export type ExecPlugin = (path: string, env: Record<string, string>, stdin: string) => Promise<{ code: number; stdout: string; stderr: string }>;

/** The kernel and process facilities a command uses, injected so tests can run on fakes. */
export interface Deps {
  /** `opts.lockHandoff`: a lock the handle's first process may take for us (others ignore it). */
  openNetlink(netnsPath?: string, opts?: IpNetlinkOptions): Netlink;
  /**
   * Writes `sysctls` (keys in /proc/sys path form: `net/ipv4/conf/eth0/arp_notify`) inside
   * `netnsPath`, then applies `ops` there — the whole pod side of ADD, in one child process.
   */
  configureNetns(netnsPath: string, ops: readonly NetlinkOp[], sysctls: Readonly<Record<string, string>>): Promise<void>;
  /**
   * Throws (a CniError) when the plugin cannot reach the kernel at all — its native helper did
   * not load; STATUS reports that as error 50.
   */
  kernelAccess(): void;
  sysctl: Sysctl;
  netns: Netns;
  masq: MasqChains;
  execPlugin: ExecPlugin;
  /** Whether `path` is an executable file (delegate lookup on CNI_PATH). */
  isExecutable(path: string): boolean;
  readSubnetFile(path: string): NodeSubnet;
  /** The process environment handed to delegates. */
  environ: Record<string, string | undefined>;
}

/** One invocation: validated env, config, negotiated version and raw stdin. */
export interface Invocation {
  env: CniEnv;
  config: NetConfig;
  version: string;
  stdin: string;
  deps: Deps;
}
