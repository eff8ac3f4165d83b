/**
 * How much history a backend keeps. A revision is kept while it is among the newest `revisions`
 * OR younger than `ageMs` (Kubernetes clients expect about five minutes of watch history; kine
 * keeps the newest 1000 revisions). Everything older is compacted, and watches or continue tokens
 * from before the compacted revision get `Expired`.
 */
export interface HistoryWindow {
  /** Keep at least the newest this many revisions. Default 1000. */
  revisions?: number;
  /** Keep at least this much time of history. Default 5 minutes. */
  ageMs?: number;
  /** How often compaction runs in the background. Default 30 s. */
  intervalMs?: number;
}

export const DEFAULT_HISTORY = { revisions: 1000, ageMs: 5 * 60_000, intervalMs: 30_000 } as const;

/**
 * Picks the compaction revision. Revisions carry no timestamps; instead the store samples
 * (time, revision) at every compaction tick, as the Kubernetes API server's compactor does, and
 * the age bound is the revision seen at the newest sample older than `ageMs`. After a restart
 * nothing is old enough until samples age, which only keeps more history.
 */
export class CompactionPolicy {
  private samples: { at: number; rev: number }[] = [];
  readonly revisions: number;
  readonly ageMs: number;

  constructor(w: HistoryWindow = {}) {
    this.revisions = Math.max(0, w.revisions ?? DEFAULT_HISTORY.revisions);
    this.ageMs = Math.max(0, w.ageMs ?? DEFAULT_HISTORY.ageMs);
  }

  /** The revision to compact to now, given the current revision. */
  target(current: number, now = Date.now()): number {
    this.samples.push({ at: now, rev: current });
    const byCount = current - this.revisions;
    let byAge = this.ageMs === 0 ? current : 0;
    const cutoff = now - this.ageMs;
    let keepFrom = 0;
    for (let i = 0; i < this.samples.length; i++) {
      const s = this.samples[i]!;
      if (s.at <= cutoff) {
        byAge = Math.max(byAge, s.rev);
        keepFrom = i;
      }
    }
    this.samples = this.samples.slice(keepFrom);
    return Math.max(0, Math.min(byCount, byAge));
  }
}
