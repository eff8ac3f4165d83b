import { z } from 'zod';
import type { SetupContext } from '../../plugin-context.js';
import { cachePlugin } from './handler.js';

/** The `cache` block of the config file (CoreDNS's defaults). */
export const cacheConfigSchema = z.object({
  successCapacity: z.number().int().positive().default(9984),
  denialCapacity: z.number().int().positive().default(9984),
  maxTtl: z.number().int().nonnegative().default(3600),
  maxDenialTtl: z.number().int().nonnegative().default(1800),
  minTtl: z.number().int().nonnegative().default(5),
  servfailTtl: z.number().int().nonnegative().default(5),
}).strict();
export type CacheConfig = z.infer<typeof cacheConfigSchema>;

export const setupCache = (cfg: CacheConfig, ctx: SetupContext) => cachePlugin({ ...cfg, registry: ctx.registry });
