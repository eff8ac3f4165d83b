/** The back-off state of one container across its restarts. */
export interface BackoffState {
  /** The delay the next crash will wait (already doubled by earlier crashes). */
  nextMs: number;
}

export interface BackoffSettings {
  initialMs: number;
  maxMs: number;
  /** A container that ran at least this long before exiting starts over at `initialMs` (the kubelet uses 10 min). */
  resetAfterMs: number;
}

/** The last run of a container, as far as back-off cares. */
export interface LastRun {
  restartCount: number;
  /** How long the run that just ended lasted (0 when it never started). */
  ranForMs: number;
}

/**
 * The kubelet's crash-loop back-off as a pure function: the first start after a container never
 * ran is immediate; every later restart waits the current delay, which doubles per crash up to
 * `maxMs`; a run longer than `resetAfterMs` resets it to `initialMs`. Returns the delay for this
 * restart and the state for the next one.
 */
export function nextRestartDelay(state: BackoffState, last: LastRun, s: BackoffSettings): { delayMs: number; next: BackoffState } {
  const current = last.ranForMs > s.resetAfterMs ? s.initialMs : state.nextMs;
  const delayMs = last.restartCount === 0 && last.ranForMs === 0 ? 0 : current;
  return { delayMs, next: { nextMs: Math.min(current * 2, s.maxMs) } };
}
