import { splitArgs } from '../../kernel/iptables-dump.js';
import { isServiceChain } from './chain-names.js';
import { JUMP_RULES, type JumpRule } from './jump-rules.js';

/**
 * Per-service chains (`SX-SVC-…`, `SX-SEP-…`, …) present in an `iptables-save -t nat` dump. Scans
 * chain lines only, so it stays cheap on a 200k-rule table.
 */
export function ownedChainsFromSave(natSave: string): Set<string> {
  const out = new Set<string>();
  for (const m of natSave.matchAll(/^:(SX-\S+)/gm)) if (isServiceChain(m[1]!)) out.add(m[1]!);
  return out;
}

/** The comment of a rule's `--comment` argument. */
const commentOf = (args: readonly string[]): string | undefined => {
  const i = args.indexOf('--comment');
  return i >= 0 ? args[i + 1] : undefined;
};

/**
 * Hooks from JUMP_RULES that are missing in the given dumps (filter and nat `iptables-save`
 * text). A hook counts as present when its built-in chain has a rule jumping to the same chain
 * with the same comment, however iptables-save normalised the rest.
 */
export function missingJumps(saves: { filter: string; nat: string }): JumpRule[] {
  const present = new Set<string>();
  for (const [table, text] of Object.entries(saves)) {
    for (const line of text.split('\n')) {
      if (!line.startsWith('-A ') || !line.includes(' -j SX-')) continue;
      const args = splitArgs(line);
      const chain = args[1]!;
      const j = args.indexOf('-j');
      present.add(`${table} ${chain} ${args[j + 1]} ${commentOf(args) ?? ''}`);
    }
  }
  return JUMP_RULES.filter((j) => !present.has(`${j.table} ${j.chain} ${j.target} ${commentOf(j.args.map((a) => a.replace(/^"|"$/g, ''))) ?? ''}`));
}
