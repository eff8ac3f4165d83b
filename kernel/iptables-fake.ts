import { BUILTIN_CHAINS, emptyTable, ruleTarget, splitArgs, type Dump, type DumpTable } from './iptables-dump.js';
import { IptablesError, type Iptables } from './iptables.js';

/** Targets provided by extensions rather than chains. */
const EXTENSION_TARGETS = new Set([
  'ACCEPT', 'DROP', 'REJECT', 'RETURN', 'QUEUE', 'DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT', 'MARK', 'CONNMARK', 'LOG', 'NFLOG', 'TRACE', 'CT', 'NOTRACK',
]);

/** A fake Iptables for tests, with the log of every payload it accepted. */
export interface FakeIptables extends Iptables {
  /** Current state (a copy is swapped in on each successful restore). */
  readonly tables: Dump;
  readonly restores: string[];
  /** Make the next restore fail as the real tool would on a lock timeout. */
  failNextRestore(message: string): void;
  /** Simulate someone else running `iptables -t TABLE -F` and `-X` (everything, not only ours). */
  flushTable(table: string): void;
  /** Simulate `iptables -t TABLE -F`: every chain emptied, none deleted. */
  flushRules(table: string): void;
}

function cloneDump(d: Dump): Dump {
  const out: Dump = new Map();
  for (const [name, t] of d) {
    const chains = new Map();
    for (const [cn, c] of t.chains) chains.set(cn, { name: c.name, policy: c.policy, rules: c.rules.map((r) => ({ ...r, args: [...r.args] })) });
    out.set(name, { name, chains });
  }
  return out;
}

const fail = (line: number, msg: string): never => {
  throw new IptablesError('restore', 2, `iptables-restore: line ${line} failed: ${msg}`);
};

/**
 * Applies a `--noflush` restore payload to `tables` with the kernel's rules: a declared user chain is
 * created or flushed; `-X` refuses a chain that still has rules or is referenced; at COMMIT every
 * jump must name a chain that exists or an extension target. The caller works on a copy, so a
 * failure leaves nothing of the payload applied.
 */
export function applyRestore(tables: Dump, payload: string): void {
  let table: DumpTable | undefined;
  const lines = payload.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    const ln = n + 1;
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('*')) {
      const name = line.slice(1);
      if (!BUILTIN_CHAINS[name]) fail(ln, `unknown table ${name}`);
      table = tables.get(name) ?? emptyTable(name);
      tables.set(name, table);
      continue;
    }
    if (!table) return fail(ln, 'no table');
    if (line === 'COMMIT') {
      validate(table, ln);
      table = undefined;
      continue;
    }
    if (line.startsWith(':')) {
      const [name, policy] = line.slice(1).split(/\s+/);
      if (!name || name.length > 28) fail(ln, `invalid chain name ${name ?? ''}`);
      const builtin = (BUILTIN_CHAINS[table.name] ?? []).includes(name!);
      const c = table.chains.get(name!);
      if (builtin) {
        if (policy && policy !== '-') c!.policy = policy;
      } else if (c) c.rules = [];
      else table.chains.set(name!, { name: name!, policy: '-', rules: [] });
      continue;
    }
    const args = splitArgs(line.replace(/^\[\d+:\d+\]\s+/, ''));
    const [verb, chainName] = args;
    const chain = chainName ? table.chains.get(chainName) : undefined;
    switch (verb) {
      case '-A':
      case '-I': {
        if (!chain) return fail(ln, `chain ${chainName ?? ''} does not exist`);
        let rest = args.slice(2);
        let pos = 0;
        if (verb === '-I' && /^\d+$/.test(rest[0] ?? '')) {
          pos = Number(rest[0]) - 1;
          rest = rest.slice(1);
        }
        const rule = { args: rest, text: `-A ${chainName} ${rest.map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(' ')}`, packets: 0, bytes: 0 };
        if (verb === '-A') chain.rules.push(rule);
        else chain.rules.splice(Math.min(pos, chain.rules.length), 0, rule);
        break;
      }
      case '-D': {
        if (!chain) return fail(ln, `chain ${chainName ?? ''} does not exist`);
        const want = args.slice(2).join(' ');
        const i = chain.rules.findIndex((r) => r.args.join(' ') === want);
        if (i < 0) fail(ln, 'rule does not exist');
        chain.rules.splice(i, 1);
        break;
      }
      case '-N':
        if (chain) fail(ln, `chain ${chainName} already exists`);
        table.chains.set(chainName!, { name: chainName!, policy: '-', rules: [] });
        break;
      case '-F':
        if (!chain) return fail(ln, `chain ${chainName ?? ''} does not exist`);
        chain.rules = [];
        break;
      case '-X': {
        if (!chain) return fail(ln, `chain ${chainName ?? ''} does not exist`);
        if ((BUILTIN_CHAINS[table.name] ?? []).includes(chainName!)) fail(ln, `cannot delete built-in chain ${chainName}`);
        if (chain.rules.length > 0) fail(ln, `chain ${chainName} is not empty`);
        table.chains.delete(chainName!);
        break;
      }
      default:
        fail(ln, `unknown command ${verb ?? ''}`);
    }
  }
  if (table) fail(lines.length, 'missing COMMIT');
}

function validate(table: DumpTable, ln: number): void {
  for (const c of table.chains.values()) {
    for (const r of c.rules) {
      const t = ruleTarget(r.args);
      if (t && !EXTENSION_TARGETS.has(t.target) && !table.chains.has(t.target)) {
        fail(ln, `${table.name}/${c.name}: jump to missing chain ${t.target}`);
      }
    }
  }
}

/** Renders tables as `iptables-save` would (rules as given, not normalised). */
export function renderDump(tables: Dump, only?: string, counters = false): string {
  const out: string[] = [];
  for (const t of tables.values()) {
    if (only && t.name !== only) continue;
    out.push(`*${t.name}`);
    for (const c of t.chains.values()) out.push(`:${c.name} ${c.policy} [0:0]`);
    for (const c of t.chains.values()) for (const r of c.rules) out.push(counters ? `[${r.packets}:${r.bytes}] ${r.text}` : r.text);
    out.push('COMMIT');
  }
  return out.join('\n') + '\n';
}

/** A fake Iptables enforcing kernel rules (see applyRestore); starts with empty filter, nat and mangle tables. */
export function createFakeIptables(): FakeIptables {
  let tables: Dump = new Map([
    ['filter', emptyTable('filter')],
    ['nat', emptyTable('nat')],
    ['mangle', emptyTable('mangle')],
  ]);
  let failNext: string | undefined;
  const restores: string[] = [];
  return {
    mode: 'nft',
    get tables() {
      return tables;
    },
    restores,
    failNextRestore(message) {
      failNext = message;
    },
    flushTable(name) {
      tables.set(name, emptyTable(name));
    },
    flushRules(name) {
      for (const c of tables.get(name)?.chains.values() ?? []) c.rules = [];
    },
    async restore(input) {
      const payload = typeof input === 'string' ? input : input.join('\n');
      if (failNext !== undefined) {
        const m = failNext;
        failNext = undefined;
        throw new IptablesError('restore', 4, m);
      }
      // Like iptables-restore, each table block is committed on its own: a failure in a later
      // block leaves earlier blocks applied and nothing of the failing one.
      const blocks = payload.split(/(?<=^COMMIT)\n/m).filter((b) => b.trim() !== '');
      for (const block of blocks) {
        const next = cloneDump(tables);
        applyRestore(next, block);
        tables = next;
      }
      restores.push(payload);
    },
    async save(table, o = {}) {
      return renderDump(tables, table, o.counters ?? false);
    },
    async saveLines(table, onLine) {
      const text = renderDump(tables, table, false);
      for (const line of text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n')) onLine(line);
    },
    async listChain(table, chain) {
      const c = tables.get(table)?.chains.get(chain);
      if (!c) return null;
      return [c.policy === '-' ? `-N ${chain}` : `-P ${chain} ${c.policy}`, ...c.rules.map((r) => r.text)];
    },
  };
}
