import { z } from 'zod';
import type { SetupContext } from '../../plugin-context.js';
import { normalizeName } from '../../chain.js';
import { forwardPlugin } from './handler.js';
import { parseUpstream } from './upstream.js';

/** The `forward` block of the config file. */
export const forwardConfigSchema = z.object({
  zone: z.string().default('.'),
  upstreams: z.array(z.string()).min(1, 'needs at least one upstream'),
  maxConcurrent: z.number().int().positive().default(1000),
  maxFails: z.number().int().positive().default(2),
  healthCheckMs: z.number().int().positive().default(500),
  timeoutMs: z.number().int().positive().default(2000),
  except: z.array(z.string()).default([]),
}).strict();
export type ForwardConfig = z.infer<typeof forwardConfigSchema>;

export function setupForward(cfg: ForwardConfig, ctx: SetupContext) {
  return forwardPlugin({
    ...cfg, zone: normalizeName(cfg.zone), except: cfg.except.map(normalizeName),
    upstreams: cfg.upstreams.map(parseUpstream), log: ctx.log, registry: ctx.registry,
  });
}
