import { runTool } from './iptables-exec.js';

/** Which UDP flows to forget: every given field must match. */
export interface UdpFlowFilter {
  origDst?: string;
  origDstPort?: number;
  replySrc?: string;
}

/** The conntrack subsystem as the proxy uses it: delete stale UDP flows after endpoints change. */
export interface Conntrack {
  /** Deletes matching UDP entries; returns how many were deleted (0 when none matched). */
  deleteUdp(filter: UdpFlowFilter): Promise<number>;
}

/** Thrown when the conntrack tool fails for a reason other than "nothing matched". */
export class ConntrackError extends Error {
  constructor(readonly stderr: string) {
    super(`conntrack: delete failed: ${stderr.trim()}`);
    this.name = 'ConntrackError';
  }
}

/** Arguments for `conntrack -D` from a filter (exported for tests). */
export function conntrackDeleteArgs(f: UdpFlowFilter): string[] {
  const args = ['-D', '-p', 'udp'];
  if (f.origDst) args.push('--orig-dst', f.origDst);
  if (f.origDstPort) args.push('--orig-port-dst', String(f.origDstPort));
  if (f.replySrc) args.push('--reply-src', f.replySrc);
  return args;
}

/** The real implementation: the `conntrack` tool, inside `netns` when given. */
export function createConntrack(opts: { netns?: string } = {}): Conntrack {
  return {
    async deleteUdp(filter) {
      const r = await runTool('conntrack', conntrackDeleteArgs(filter), opts.netns ? { netns: opts.netns } : {});
      const m = /(\d+) flow entries have been deleted/.exec(r.stderr);
      if (r.code !== 0 && !m) throw new ConntrackError(r.stderr);
      return m ? Number(m[1]) : 0;
    },
  };
}

/** A fake that records every deletion request. */
export function createFakeConntrack(): Conntrack & { deletions: UdpFlowFilter[] } {
  const deletions: UdpFlowFilter[] = [];
  return {
    deletions,
    async deleteUdp(filter) {
      deletions.push(filter);
      return 0;
    },
  };
}
