import { z } from 'zod';
import { loadbalancePlugin } from './handler.js';

/** The `loadbalance` block of the config file (no options; round-robin shuffle). */
export const loadbalanceConfigSchema = z.object({}).strict();
export const setupLoadbalance = (_cfg: z.infer<typeof loadbalanceConfigSchema>) => loadbalancePlugin();
