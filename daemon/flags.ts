import { z } from 'zod';

/** One command-line flag: its help text, and the zod schema that validates (and defaults) it. */
export interface FlagSpec<S extends z.ZodType = z.ZodType> {
  help: string;
  schema: S;
  /** A boolean flag takes no value: `--foo` means true, `--foo=false` false. */
  boolean?: boolean;
}

export type FlagSpecs = Record<string, FlagSpec>;

type CamelCase<S extends string> = S extends `${infer H}-${infer T}` ? `${H}${Capitalize<CamelCase<T>>}` : S;

export type ParsedFlags<F extends FlagSpecs> = {
  [K in keyof F & string as CamelCase<K>]: z.output<F[K]['schema']>;
};

/** Thrown when flags are wrong; its message lists every problem, one per line. */
export class FlagError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'FlagError';
  }
}

export const camel = (s: string): string => s.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

/**
 * Parses `--name value`, `--name=value` and boolean `--name` against the specs, validating every
 * flag with its schema. Unknown flags and invalid values are all collected into one FlagError, so a
 * user sees every mistake at once. Positional arguments are returned separately.
 */
export function parseFlags<F extends FlagSpecs>(
  specs: F,
  argv: readonly string[],
): { flags: ParsedFlags<F>; positional: string[]; help: boolean } {
  const raw = new Map<string, string | boolean>();
  const positional: string[] = [];
  const problems: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const spec = specs[name];
    if (!spec) {
      problems.push(`--${name}: unknown flag`);
      continue;
    }
    if (eq >= 0) raw.set(name, arg.slice(eq + 1));
    else if (spec.boolean) raw.set(name, true);
    else if (i + 1 < argv.length) raw.set(name, argv[++i]!);
    else problems.push(`--${name}: needs a value`);
  }
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    let value: unknown = raw.get(name);
    if (spec.boolean && typeof value === 'string') {
      if (value === 'true' || value === '1') value = true;
      else if (value === 'false' || value === '0') value = false;
    }
    const r = spec.schema.safeParse(value);
    if (r.success) out[camel(name)] = r.data;
    else for (const issue of r.error.issues) problems.push(`--${name}: ${issue.message}`);
  }
  if (problems.length > 0 && !help) throw new FlagError(problems);
  return { flags: out as ParsedFlags<F>, positional, help };
}

/** Renders `--help` text from the specs. */
export function helpText(usage: string, summary: string, specs: FlagSpecs): string {
  const lines = [`Usage: ${usage}`, '', summary, '', 'Flags:'];
  const width = Math.max(...Object.keys(specs).map((n) => n.length), 4) + 4;
  for (const [name, spec] of Object.entries(specs)) {
    const shown = defaultShown(spec.schema);
    const suffix = shown === undefined ? '' : ` (default ${shown})`;
    lines.push(`  --${name.padEnd(width)}${spec.help}${suffix}`);
  }
  lines.push(`  --${'help'.padEnd(width)}show this help`);
  return lines.join('\n');
}

/**
 * The default as a user would type it: a prefault (e.g. a duration "30s") is shown as written,
 * not as its parsed value (30000).
 */
function defaultShown(schema: z.ZodType): string | undefined {
  const def = (schema as unknown as { _zod?: { def?: { type?: string; defaultValue?: unknown } } })._zod?.def;
  if (def?.type === 'prefault' && def.defaultValue !== undefined) return JSON.stringify(def.defaultValue);
  const r = schema.safeParse(undefined);
  return r.success && r.data !== undefined && r.data !== false ? JSON.stringify(r.data) : undefined;
}

/** Common schemas for flag values, which always arrive as strings. */
export const flagTypes = {
  port: () => z.coerce.number().int().min(0, 'must be 0-65535').max(65535, 'must be 0-65535'),
  hostPort: () =>
    z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]*):\d{1,5}$/, 'must be ADDRESS:PORT (e.g. 127.0.0.1:6443)'),
  /** A Go-style duration in milliseconds; give defaults with `.prefault("5s")` so they are parsed too. */
  duration: () =>
    z
      .string()
      .regex(/^\d+(\.\d+)?(ms|s|m|h)$/, 'must be a duration such as 500ms, 5s, 1m')
      .transform((s) => {
        const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(s)!;
        const mult = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
        return Number(m[1]) * mult;
      }),
  list: () => z.string().transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean)),
};
