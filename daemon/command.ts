import { FlagError, helpText, parseFlags, type FlagSpecs, type ParsedFlags } from './flags.js';

/** A `sextant` subcommand: its flags and what it runs. */
export interface Command<F extends FlagSpecs = FlagSpecs> {
  name: string;
  usage: string;
  summary: string;
  flags: F;
  run(flags: ParsedFlags<F>, positional: string[]): Promise<number | void>;
}

export function defineCommand<F extends FlagSpecs>(c: Command<F>): Command<F> {
  return c;
}

/** Parses flags (printing every problem and exiting 2 when wrong), handles --help, runs. */
export async function runCommand<F extends FlagSpecs>(c: Command<F>, argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseFlags(c.flags, argv);
  } catch (err) {
    if (err instanceof FlagError) {
      process.stderr.write(`sextant ${c.name}: invalid flags:\n${err.problems.map((p) => `  ${p}`).join('\n')}\n`);
      return 2;
    }
    throw err;
  }
  if (parsed.help) {
    process.stdout.write(helpText(c.usage, c.summary, c.flags) + '\n');
    return 0;
  }
  const code = await c.run(parsed.flags, parsed.positional);
  return typeof code === 'number' ? code : 0;
}
