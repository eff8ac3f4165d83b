import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { StoreError } from '../errors.js';
import { LogStore } from '../core/log-store.js';
import type { Store } from '../store.js';
import { SqliteEngine } from './sqlite-engine.js';

const optionsSchema = z.object({
  path: z.string().min(1),
  history: z
    .object({
      revisions: z.number().int().min(0).optional(),
      ageMs: z.number().int().min(0).optional(),
      intervalMs: z.number().int().min(0).optional(),
    })
    .optional(),
  synchronous: z.enum(['FULL', 'NORMAL']).default('FULL'),
  maxSizeBytes: z.number().int().positive().optional(),
});

export interface SqliteStoreOptions {
  /** Database file; its directory is created when missing. */
  path: string;
  /**
   * History kept for watches and continue tokens: the newest `revisions` (default 1000) or
   * `ageMs` (default 5 min), whichever keeps more; compaction runs every `intervalMs` (default
   * 30 s, 0 = only on `compact()`).
   */
  history?: { revisions?: number; ageMs?: number; intervalMs?: number };
  /**
   * `FULL` (default): a write is acknowledged after the WAL is fsynced — survives kill -9 and power
   * loss. `NORMAL`: survives kill -9 only; for benchmarks and throwaway clusters.
   */
  synchronous?: 'FULL' | 'NORMAL';
  /** Size quota; writes beyond it fail with `StorageFull` (as on a full disk). */
  maxSizeBytes?: number;
  /** Errors of background compaction; the store keeps serving and retries on the next tick. */
  onBackgroundError?: (err: Error) => void;
}

/**
 * Opens (creating if needed) the SQLite store at `path`. One process at a time: a second open of
 * the same file fails with `Unavailable`. Errors: bad options → `BadRequest` naming the field.
 */
export async function openSqliteStore(opts: SqliteStoreOptions): Promise<Store> {
  const parsed = optionsSchema.safeParse(opts);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new StoreError('BadRequest', `sqlite options ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const o = parsed.data;
  mkdirSync(dirname(o.path), { recursive: true });
  const engine = new SqliteEngine({
    path: o.path,
    synchronous: o.synchronous,
    ...(o.maxSizeBytes !== undefined ? { maxSizeBytes: o.maxSizeBytes } : {}),
  });
  return new LogStore(engine, {
    ...(o.history ? { history: o.history } : {}),
    ...(opts.onBackgroundError ? { onBackgroundError: opts.onBackgroundError } : {}),
  });
}
