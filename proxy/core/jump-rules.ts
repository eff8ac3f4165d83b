import { CHAINS } from './chain-names.js';

/** A rule in a built-in chain that hands packets to one of our chains. */
export interface JumpRule {
  table: 'filter' | 'nat';
  chain: string;
  /** Match arguments in iptables-save order, then `-j target`. */
  args: string[];
  target: string;
}

const newOnly = ['-m', 'conntrack', '--ctstate', 'NEW'];
const comment = (text: string) => ['-m', 'comment', '--comment', `"${text}"`];

/**
 * The hooks from built-in chains into ours, in the order they should end up at the top of each
 * built-in chain. Everything else Sextant programs lives in chains it owns.
 */
export const JUMP_RULES: readonly JumpRule[] = [
  { table: 'filter', chain: 'INPUT', args: [...newOnly, ...comment('sextant externally-visible service portals')], target: CHAINS.externalServices },
  { table: 'filter', chain: 'INPUT', args: comment('sextant health check service ports'), target: CHAINS.nodePorts },
  { table: 'filter', chain: 'FORWARD', args: [...newOnly, ...comment('sextant service portals')], target: CHAINS.services },
  { table: 'filter', chain: 'FORWARD', args: [...newOnly, ...comment('sextant externally-visible service portals')], target: CHAINS.externalServices },
  { table: 'filter', chain: 'FORWARD', args: comment('sextant forwarding rules'), target: CHAINS.forward },
  { table: 'filter', chain: 'OUTPUT', args: [...newOnly, ...comment('sextant service portals')], target: CHAINS.services },
  { table: 'nat', chain: 'PREROUTING', args: comment('sextant service portals'), target: CHAINS.services },
  { table: 'nat', chain: 'OUTPUT', args: comment('sextant service portals'), target: CHAINS.services },
  { table: 'nat', chain: 'POSTROUTING', args: comment('sextant postrouting rules'), target: CHAINS.postrouting },
];

/** `-A`/`-I` line body for a jump rule (without the verb). */
export const jumpRuleText = (j: JumpRule): string => `${j.chain} ${j.args.join(' ')} -j ${j.target}`;
