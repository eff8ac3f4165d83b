import type { Command } from '../daemon/command.js';

/**
 * Every `sextant` subcommand, loaded lazily so that a command pays only for what it uses
 * (the CNI plugin and short-lived commands start fast). Each role exports its command from its
 * own `command.ts`.
 */
export const commands: Record<string, { summary: string; load: () => Promise<Command<any>> }> = {
  version: { summary: 'print the version', load: async () => (await import('./version-command.js')).default },
};
