import { commands } from './commands.js';
import { runCommand } from '../daemon/command.js';

/** `sextant <command> [flags]`: dispatches to one subcommand per role (see README). */
async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const width = Math.max(...Object.keys(commands).map((n) => n.length)) + 2;
    process.stdout.write(
      'Usage: sextant <command> [flags]\n\nCommands:\n' +
        Object.entries(commands)
          .map(([n, c]) => `  ${n.padEnd(width)}${c.summary}`)
          .join('\n') +
        '\n\nRun `sextant <command> --help` for its flags.\n',
    );
    return name ? 0 : 2;
  }
  const entry = commands[name];
  if (!entry) {
    process.stderr.write(`sextant: unknown command "${name}" (see sextant --help)\n`);
    return 2;
  }
  return runCommand(await entry.load(), rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`sextant: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
