/**
 * What a plugin's setup receives: the shared logger and metrics registry, plus hooks into the
 * server (clearing the packet cache when a zone changes).
 */
import type { Registry } from 'prom-client';
import type { Logger } from '../daemon/logger.js';

export interface SetupContext {
  log: Logger;
  registry: Registry;
  /** Tells the server every stable answer it cached may be stale. */
  invalidate: () => void;
  /** Run before a /metrics scrape (the server adds: bring in the UDP threads' counts). */
  beforeScrape: (() => Promise<void>)[];
}
