import { runTool } from './iptables-exec.js';
import type { IptablesMode } from './iptables.js';

/** Which backend to use and why (for the startup log). */
export interface ModeChoice {
  mode: IptablesMode;
  reason: string;
}

/** Chains whose presence marks the backend a node's components already chose. */
const HINT_CHAINS = ['SX-PROXY-CANARY', 'KUBE-IPTABLES-HINT', 'KUBE-KUBELET-CANARY'];

const ruleLines = (save: string): number => save.split('\n').filter((l) => l.startsWith('-')).length;
const hint = (save: string): string | undefined => HINT_CHAINS.find((c) => new RegExp(`^:${c} `, 'm').test(save));

/**
 * Picks the xtables backend the way kube-proxy's image does (kubernetes-sigs/iptables-wrappers):
 * a hint chain (our canary, kubelet's KUBE-IPTABLES-HINT / KUBE-KUBELET-CANARY) in one backend's
 * dump decides; otherwise the backend holding more rules; nft when in doubt (a tie, nothing
 * anywhere) — nft is the default of current distributions and the one whose partial restores
 * scale with the change rather than with the table.
 */
export function chooseIptablesMode(saves: { legacy: string; nft: string }): ModeChoice {
  const legacyHint = hint(saves.legacy);
  const nftHint = hint(saves.nft);
  if (legacyHint && !nftHint) return { mode: 'legacy', reason: `${legacyHint} exists in iptables-legacy only` };
  if (nftHint && !legacyHint) return { mode: 'nft', reason: `${nftHint} exists in iptables-nft only` };
  const legacy = ruleLines(saves.legacy);
  const nft = ruleLines(saves.nft);
  if (legacy > nft) return { mode: 'legacy', reason: `iptables-legacy holds more rules (${legacy} vs ${nft})` };
  return { mode: 'nft', reason: nft > legacy ? `iptables-nft holds more rules (${nft} vs ${legacy})` : `no preference (${nft} rules in each); nft by default` };
}

/** Reads both backends' dumps (inside `netns` when given) and applies chooseIptablesMode. A backend whose tool fails counts as empty. */
export async function detectIptablesMode(opts: { netns?: string } = {}): Promise<ModeChoice> {
  const dump = async (mode: IptablesMode) => {
    const r = await runTool(`iptables-${mode}-save`, [], opts.netns ? { netns: opts.netns } : {}).catch(() => undefined);
    return r && r.code === 0 ? r.stdout : '';
  };
  const [legacy, nft] = await Promise.all([dump('legacy'), dump('nft')]);
  return chooseIptablesMode({ legacy, nft });
}
