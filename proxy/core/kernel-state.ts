import { splitArgs } from '../../kernel/iptables-dump.js';
import { isServiceChain } from './chain-names.js';
import { JUMP_RULES, type JumpRule } from './jump-rules.js';

/** The comment of a rule's `--comment` argument. */
const commentOf = (args: readonly string[]): string | undefined => {
  const i = args.indexOf('--comment');
  return i >= 0 ? args[i + 1] : undefined;
};

/**
 * What a full sync needs to know of the kernel, read one `iptables-save` line at a time
 * (`Iptables.saveLines`), so a 200k-rule nat dump is never held as one string nor split into an
 * array: the per-service nat chains present, and the hooks from built-in chains into ours. Only
 * `:SX-…` chain lines and rules of chains that are not ours are looked at; every other line costs
 * a prefix check.
 */
export class KernelStateScan {
  /** Per-service chains (`SX-SVC-…`, `SX-SEP-…`, …) declared in the nat table. */
  readonly ownedChains = new Set<string>();
  private readonly hooks = new Set<string>();

  /** Feeds one line of `iptables-save -t TABLE` output. */
  line(table: string, line: string): void {
    if (line.startsWith(':SX-')) {
      if (table !== 'nat') return;
      const end = line.indexOf(' ');
      const name = end < 0 ? line.slice(1) : line.slice(1, end);
      if (isServiceChain(name)) this.ownedChains.add(name);
      return;
    }
    // Hooks live in built-in chains only: our own chains' rules (all but a handful) are skipped.
    if (!line.startsWith('-A ') || line.startsWith('-A SX-') || !line.includes(' -j SX-')) return;
    const args = splitArgs(line);
    const j = args.indexOf('-j');
    this.hooks.add(`${table} ${args[1]} ${args[j + 1]} ${commentOf(args) ?? ''}`);
  }

  /** Feeds a whole dump of one table (tests, small tables). */
  text(table: string, text: string): this {
    for (const line of text.split('\n')) this.line(table, line);
    return this;
  }

  /**
   * Hooks from JUMP_RULES missing in what was fed. A hook counts as present when its built-in
   * chain has a rule jumping to the same chain with the same comment, however iptables-save
   * normalised the rest.
   */
  missingJumps(): JumpRule[] {
    return JUMP_RULES.filter((j) => !this.hooks.has(`${j.table} ${j.chain} ${j.target} ${commentOf(j.args.map((a) => a.replace(/^"|"$/g, ''))) ?? ''}`));
  }
}
