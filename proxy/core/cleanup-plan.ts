import { splitArgs } from '../../kernel/iptables-dump.js';
import { PREFIX } from './chain-names.js';

/**
 * A restore payload that removes everything Sextant's proxy created and nothing else: the hooks in
 * built-in chains that jump to `SX-` chains, then every `SX-` chain (flushed, then deleted), per
 * table. Built from `iptables-save` text of each table.
 */
export function cleanupPayload(saves: Record<string, string>): string {
  const out: string[] = [];
  for (const [table, text] of Object.entries(saves)) {
    const ours: string[] = [];
    const hooks: string[] = [];
    for (const line of text.split('\n')) {
      const chain = /^:(\S+)/.exec(line)?.[1];
      if (chain?.startsWith(PREFIX)) ours.push(chain);
      if (line.startsWith('-A ')) {
        const args = splitArgs(line);
        const j = args.indexOf('-j');
        if (!args[1]!.startsWith(PREFIX) && j >= 0 && args[j + 1]?.startsWith(PREFIX)) hooks.push(`-D ${line.slice(3)}`);
      }
    }
    if (ours.length === 0 && hooks.length === 0) continue;
    out.push(`*${table}`, ...ours.map((c) => `:${c} - [0:0]`), ...hooks, ...ours.map((c) => `-X ${c}`), 'COMMIT');
  }
  return out.length ? out.join('\n') + '\n' : '';
}
