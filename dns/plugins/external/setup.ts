import { z } from 'zod';
import { normalizeName } from '../../chain.js';
import type { RecordIndex } from '../kubernetes/record-index.js';
import { externalPlugin } from './handler.js';

/** The `external` block of the config file. */
export const externalConfigSchema = z.object({
  zone: z.string().regex(/^[a-zA-Z0-9.-]+\.?$/, 'must be a domain name'),
  ttl: z.number().int().min(0).max(3600).default(5),
}).strict();
export type ExternalConfig = z.infer<typeof externalConfigSchema>;

export const setupExternal = (cfg: ExternalConfig, index: RecordIndex) =>
  externalPlugin({ zone: normalizeName(cfg.zone), ttl: cfg.ttl, service: (ns, name) => index.service(ns, name), serial: () => index.serial });
