import { z } from 'zod';
import type { Plugin } from '../../chain.js';
import { readyPlugin } from './handler.js';

/** The `ready` block of the config file. */
export const readyConfigSchema = z.object({ listen: z.string().default(':8181') }).strict();
export type ReadyConfig = z.infer<typeof readyConfigSchema>;

export const setupReady = (cfg: ReadyConfig, plugins: () => readonly Plugin[]) => readyPlugin(cfg.listen, plugins);
