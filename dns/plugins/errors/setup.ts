import { z } from 'zod';
import type { Logger } from '../../../daemon/logger.js';
import { errorsPlugin } from './handler.js';

/** The `errors` block of the config file (no options). */
export const errorsConfigSchema = z.object({}).strict();
export const setupErrors = (_cfg: z.infer<typeof errorsConfigSchema>, log: Logger) => errorsPlugin(log);
