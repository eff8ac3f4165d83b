import { runTool, ToolError } from './exec-tool.js';

/**
 * The nat chains that masquerade a pod's traffic (CNI `ipMasq`), one chain per attachment:
 * `POSTROUTING -s <podIP> -j <chain>`, then in the chain `-d <clusterCIDR> -j ACCEPT` and
 * `! -d 224.0.0.0/4 -j MASQUERADE`. Only these chains: the service proxy owns everything else.
 */
export interface MasqChains {
  /** Creates or rewrites `chain` for `podIp`, exempting `exempt` (the cluster network). */
  add(chain: string, podIp: string, exempt: readonly string[], comment: string): Promise<void>;
  /** Removes the chain and every POSTROUTING jump to it; absent is fine. */
  remove(chain: string): Promise<void>;
  /** Chains in the nat table whose name starts with `prefix`. */
  list(prefix: string): Promise<string[]>;
}

/** The iptables-restore payload that installs one masquerade chain (pure). */
export function masqAddPayload(chain: string, podIp: string, exempt: readonly string[], rawComment: string): string {
  // xt_comment holds at most 255 characters (as CNI's utils.FormatComment truncates); a quote,
  // backslash or line break would end the payload line early, so they never reach it.
  const comment = rawComment.replace(/["\\\r\n]/g, '').slice(0, 255);
  return [
    '*nat',
    `:${chain} - [0:0]`,
    `-F ${chain}`,
    ...exempt.map((d) => `-A ${chain} -d ${d} -m comment --comment "${comment}" -j ACCEPT`),
    `-A ${chain} ! -d 224.0.0.0/4 -m comment --comment "${comment}" -j MASQUERADE`,
    `-A POSTROUTING -s ${podIp}/32 -m comment --comment "${comment}" -j ${chain}`,
    'COMMIT',
    '',
  ].join('\n');
}

/** The payload that deletes `chain` given the current `iptables-save -t nat` text (pure). */
export function masqRemovePayload(chain: string, saved: string): string | undefined {
  const jumps = saved.split('\n').filter((l) => l.startsWith('-A POSTROUTING ') && l.endsWith(` -j ${chain}`));
  const exists = saved.split('\n').some((l) => l.startsWith(`:${chain} `));
  if (!exists && !jumps.length) return undefined;
  return ['*nat', ...jumps.map((l) => `-D ${l.slice(3)}`), ...(exists ? [`-F ${chain}`, `-X ${chain}`] : []), 'COMMIT', ''].join('\n');
}

/** Applies through iptables-restore --noflush -w (whatever iptables flavour the node uses). */
export const realMasqChains: MasqChains = {
  async add(chain, podIp, exempt, comment) {
    await runTool('iptables-restore', ['--noflush', '-w', '5'], masqAddPayload(chain, podIp, exempt, comment));
  },
  async remove(chain) {
    for (let attempt = 0; ; attempt++) {
      const saved = (await runTool('iptables-save', ['-t', 'nat'])).stdout;
      const payload = masqRemovePayload(chain, saved);
      if (!payload) return;
      try {
        await runTool('iptables-restore', ['--noflush', '-w', '5'], payload);
        return;
      } catch (err) {
        if (!(err instanceof ToolError) || attempt >= 2) throw err;
      }
    }
  },
  async list(prefix) {
    const saved = (await runTool('iptables-save', ['-t', 'nat'])).stdout;
    return saved.split('\n').filter((l) => l.startsWith(`:${prefix}`)).map((l) => l.slice(1).split(' ')[0]!);
  },
};

/** In-memory chains for unit tests; re-adding rewrites, removing a missing chain is fine. */
export class FakeMasqChains implements MasqChains {
  readonly chains = new Map<string, { podIp: string; exempt: string[] }>();
  async add(chain: string, podIp: string, exempt: readonly string[]): Promise<void> {
    if (chain.length > 28) throw new Error(`iptables: chain name ${chain} is longer than 28 characters`);
    this.chains.set(chain, { podIp, exempt: [...exempt] });
  }
  async remove(chain: string): Promise<void> {
    this.chains.delete(chain);
  }
  async list(prefix: string): Promise<string[]> {
    return [...this.chains.keys()].filter((c) => c.startsWith(prefix));
  }
}
