import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runStoreConformance } from '../conformance.js';
import { openSqliteStore } from './index.js';

runStoreConformance('sqlite', async ({ historyRevisions }) => {
  const dir = mkdtempSync(join(tmpdir(), 'sx-store-'));
  try {
    const store = await openSqliteStore({
      path: join(dir, 'state.db'),
      history: { revisions: historyRevisions, ageMs: 0, intervalMs: 0 },
    });
    return {
      store,
      cleanup: async () => {
        try {
          await store.close();
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
});
