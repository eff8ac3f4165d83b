/**
 * Parser for `iptables-save` / `iptables-restore` text: tables, chains with policies and counters,
 * and rules as argument vectors. Pure (no I/O) so the proxy's packet tracer, the fake kernel and
 * stale-chain detection all read rules the same way.
 */

export interface DumpRule {
  /** Arguments after `-A CHAIN`, unquoted (`--comment "a b"` becomes one `a b` argument). */
  args: string[];
  /** The rule as written, `-A CHAIN ...` without the counters prefix. */
  text: string;
  packets: number;
  bytes: number;
}

export interface DumpChain {
  name: string;
  /** `ACCEPT`/`DROP` for built-in chains, `-` for user chains. */
  policy: string;
  rules: DumpRule[];
}

export interface DumpTable {
  name: string;
  chains: Map<string, DumpChain>;
}

export type Dump = Map<string, DumpTable>;

/** Chains every table starts with (iptables' built-ins). */
export const BUILTIN_CHAINS: Record<string, readonly string[]> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  raw: ['PREROUTING', 'OUTPUT'],
  security: ['INPUT', 'FORWARD', 'OUTPUT'],
};

/** Splits a rule line into arguments, honouring double quotes and backslash escapes. */
export function splitArgs(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inQuote = false;
  let has = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      has = true;
    } else if (c === '"') {
      inQuote = !inQuote;
      has = true;
    } else if (!inQuote && (c === ' ' || c === '\t')) {
      if (has) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (has) out.push(cur);
  return out;
}

/** Thrown for text that is not iptables-save format; `line` is 1-based. */
export class DumpParseError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'DumpParseError';
  }
}

/** Creates an empty table holding only its built-in chains. */
export function emptyTable(name: string): DumpTable {
  const chains = new Map<string, DumpChain>();
  for (const c of BUILTIN_CHAINS[name] ?? []) chains.set(c, { name: c, policy: 'ACCEPT', rules: [] });
  return { name, chains };
}

/** Parses an `iptables-save` dump (with or without `-c` counters). */
export function parseDump(text: string): Dump {
  const dump: Dump = new Map();
  let table: DumpTable | undefined;
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    let line = lines[n]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('*')) {
      table = dump.get(line.slice(1)) ?? emptyTable(line.slice(1));
      dump.set(table.name, table);
      continue;
    }
    if (!table) throw new DumpParseError(n + 1, 'rule or chain outside a table');
    if (line === 'COMMIT') {
      table = undefined;
      continue;
    }
    if (line.startsWith(':')) {
      const [name, policy] = line.slice(1).split(/\s+/);
      if (!name) throw new DumpParseError(n + 1, 'chain line without a name');
      const existing = table.chains.get(name);
      if (existing) existing.policy = policy ?? existing.policy;
      else table.chains.set(name, { name, policy: policy ?? '-', rules: [] });
      continue;
    }
    let packets = 0;
    let bytes = 0;
    const counters = /^\[(\d+):(\d+)\]\s+/.exec(line);
    if (counters) {
      packets = Number(counters[1]);
      bytes = Number(counters[2]);
      line = line.slice(counters[0].length);
    }
    const args = splitArgs(line);
    if (args[0] !== '-A' || !args[1]) throw new DumpParseError(n + 1, `expected -A CHAIN, got "${args[0] ?? ''}"`);
    const chain = table.chains.get(args[1]);
    if (!chain) throw new DumpParseError(n + 1, `rule for undeclared chain ${args[1]}`);
    chain.rules.push({ args: args.slice(2), text: line, packets, bytes });
  }
  return dump;
}

/** The jump (`-j`) or goto (`-g`) target of a rule, if any. */
export function ruleTarget(args: readonly string[]): { target: string; goto: boolean } | undefined {
  for (let i = 0; i < args.length - 1; i++) {
    if (args[i] === '-j' || args[i] === '--jump') return { target: args[i + 1]!, goto: false };
    if (args[i] === '-g' || args[i] === '--goto') return { target: args[i + 1]!, goto: true };
  }
  return undefined;
}
