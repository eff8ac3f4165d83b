import { runTool, streamTool } from './iptables-exec.js';

/** Which xtables backend the binaries talk to; pick one per node and never mix them. */
export type IptablesMode = 'nft' | 'legacy';

/** Thrown when an iptables tool fails; `stderr` carries the tool's own explanation. */
export class IptablesError extends Error {
  constructor(
    readonly operation: string,
    readonly exitCode: number,
    readonly stderr: string,
  ) {
    super(`iptables: ${operation} failed (exit ${exitCode}): ${stderr.trim()}`);
    this.name = 'IptablesError';
  }
}

/**
 * The iptables subsystem as the proxy uses it: whole-table payloads in, dumps out. One interface,
 * a real implementation (the iptables-restore/-save binaries) and a fake that enforces the
 * kernel's rules (`createFakeIptables`).
 */
export interface Iptables {
  readonly mode: IptablesMode;
  /**
   * Applies a restore payload atomically without flushing tables (`--noflush`); chains declared in
   * the payload are flushed and refilled, every other chain keeps its rules and counters. Waits for
   * the xtables lock. Rejects with IptablesError when the payload is refused (nothing applied).
   * The payload is text, or its lines (as `lines.join('\n')`; large payloads are streamed to the
   * tool in small pieces that way, never held as one string).
   */
  restore(payload: string | readonly string[]): Promise<void>;
  /** `iptables-save` of one table (or all), with packet counters when `counters`. */
  save(table?: string, opts?: { counters?: boolean }): Promise<string>;
  /**
   * `iptables-save -t TABLE` handed to `onLine` line by line, never held whole: the proxy's full
   * syncs scan a 24 MB nat dump at 10,000 services this way. Rejects with IptablesError when the
   * tool fails, or with what `onLine` threw.
   */
  saveLines(table: string, onLine: (line: string) => void): Promise<void>;
  /** `iptables -S CHAIN` lines of one chain, or null when the chain does not exist. */
  listChain(table: string, chain: string): Promise<string[] | null>;
}

export interface RealIptablesOptions {
  mode?: IptablesMode;
  /** Run every command inside this network namespace (`ip netns exec NAME`). */
  netns?: string;
  /** Seconds to wait for the xtables lock (`-w`). */
  waitSeconds?: number;
}

/** The real implementation: `iptables[-legacy|-nft]-restore --noflush --counters -w N` and `iptables-save`. */
export function createIptables(opts: RealIptablesOptions = {}): Iptables {
  const mode = opts.mode ?? 'nft';
  const bin = (tool: '' | '-restore' | '-save') => `iptables-${mode}${tool}`.replace(/^iptables-(nft|legacy)$/, 'iptables-$1');
  const wait = String(opts.waitSeconds ?? 5);
  const run = (tool: '' | '-restore' | '-save', args: string[], input?: string | readonly string[]) =>
    runTool(bin(tool), args, { ...(opts.netns ? { netns: opts.netns } : {}), ...(input !== undefined ? { input } : {}) });
  return {
    mode,
    async restore(payload) {
      const r = await run('-restore', ['--noflush', '--counters', '-w', wait], payload);
      if (r.code !== 0) throw new IptablesError('restore', r.code, r.stderr);
    },
    async save(table, o = {}) {
      const args = [...(table ? ['-t', table] : []), ...(o.counters ? ['-c'] : [])];
      const r = await run('-save', args);
      if (r.code !== 0) throw new IptablesError('save', r.code, r.stderr);
      return r.stdout;
    },
    async saveLines(table, onLine) {
      const r = await streamTool(bin('-save'), ['-t', table], onLine, opts.netns ? { netns: opts.netns } : {});
      if (r.code !== 0) throw new IptablesError('save', r.code, r.stderr);
    },
    async listChain(table, chain) {
      const r = await run('', ['-w', wait, '-t', table, '-S', chain]);
      return r.code === 0 ? r.stdout.split('\n').filter(Boolean) : null;
    },
  };
}
