import { z } from 'zod';
import { loopPlugin } from './handler.js';

/** The `loop` block of the config file. */
export const loopConfigSchema = z.object({ threshold: z.number().int().positive().default(2) }).strict();
export type LoopConfig = z.infer<typeof loopConfigSchema>;

export const setupLoop = (cfg: LoopConfig, onLoop: (probe: string, seen: number) => void) => loopPlugin({ threshold: cfg.threshold, onLoop });
