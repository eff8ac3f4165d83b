import { z } from 'zod';
import { healthPlugin } from './handler.js';

/** The `health` block of the config file. */
export const healthConfigSchema = z.object({
  listen: z.string().default(':8080'),
  lameduckMs: z.number().int().nonnegative().default(5000),
}).strict();
export type HealthConfig = z.infer<typeof healthConfigSchema>;

export const setupHealth = (cfg: HealthConfig) => healthPlugin(cfg.listen, cfg.lameduckMs);
