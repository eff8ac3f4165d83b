import { z } from 'zod';
import type { Logger } from '../../../daemon/logger.js';
import { logPlugin } from './handler.js';

/** The `log` block of the config file: `stdout` writes one JSON object per line there. */
export const logConfigSchema = z.object({ to: z.enum(['logger', 'stdout']).default('logger') }).strict();
export type LogConfig = z.infer<typeof logConfigSchema>;

export const setupLog = (cfg: LogConfig, log: Logger) =>
  logPlugin(cfg.to === 'stdout' ? (line) => process.stdout.write(`${JSON.stringify(line)}\n`) : (line) => log.info('query', line));
