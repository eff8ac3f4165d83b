import { runStoreConformance } from '../conformance.js';
import { createMemoryStore } from './index.js';

runStoreConformance('memory', async ({ historyRevisions }) => {
  const store = createMemoryStore({ history: { revisions: historyRevisions, ageMs: 0, intervalMs: 0 } });
  return { store, cleanup: () => store.close() };
});
