import type { Container } from '../controller/api/index.js';
import { runProbe, type ProbeTarget } from './probes.js';

/** What a container's probe loops report to its pod worker. */
export interface ProbeLoopHooks {
  /** False once the container run the loops belong to has ended: they stop without reporting. */
  current(): boolean;
  /** The readiness the pod worker reports now (the readiness loop flips it only on a threshold). */
  ready(): boolean;
  /** `readinessProbe` crossed `successThreshold` (true) or `failureThreshold` (false). */
  readinessChanged(ready: boolean): void;
  /** `livenessProbe` failed `failureThreshold` times in a row: the worker kills the container. The loop ends. */
  livenessFailed(failure: string): void;
}

/**
 * Runs a container's readiness and liveness probes, as the kubelet's prober workers do: each
 * first after `initialDelaySeconds` (at least 50 ms), then every `periodSeconds`; readiness
 * turns true after `successThreshold` successes in a row and false after `failureThreshold`
 * failures; liveness reports after `failureThreshold` failures in a row. A container without a
 * readinessProbe is ready at once. Returns the function that stops both loops.
 */
export function startProbeLoops(container: Container, target: () => ProbeTarget, hooks: ProbeLoopHooks): () => void {
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  const live = () => !stopped && hooks.current();
  const after = (ms: number, f: () => Promise<void>) => {
    const t = setTimeout(() => {
      timers.delete(t);
      void f();
    }, ms);
    t.unref();
    timers.add(t);
  };

  const readiness = container.readinessProbe;
  if (!readiness) {
    if (!hooks.ready()) hooks.readinessChanged(true);
  } else {
    let ok = 0;
    let bad = 0;
    const tick = async () => {
      if (!live()) return;
      const failure = await runProbe(readiness, target());
      if (!live()) return;
      if (failure === null) {
        bad = 0;
        if (++ok >= (readiness.successThreshold ?? 1) && !hooks.ready()) hooks.readinessChanged(true);
      } else {
        ok = 0;
        if (++bad >= (readiness.failureThreshold ?? 3) && hooks.ready()) hooks.readinessChanged(false);
      }
      after((readiness.periodSeconds ?? 10) * 1000, tick);
    };
    after(Math.max((readiness.initialDelaySeconds ?? 0) * 1000, 50), tick);
  }

  const liveness = container.livenessProbe;
  if (liveness) {
    let bad = 0;
    const tick = async () => {
      if (!live()) return;
      const failure = await runProbe(liveness, target());
      if (!live()) return;
      if (failure === null) bad = 0;
      else if (++bad >= (liveness.failureThreshold ?? 3)) {
        hooks.livenessFailed(failure);
        return;
      }
      after((liveness.periodSeconds ?? 10) * 1000, tick);
    };
    after(Math.max((liveness.initialDelaySeconds ?? 0) * 1000, 50), tick);
  }

  return () => {
    stopped = true;
    for (const t of timers) clearTimeout(t);
    timers.clear();
  };
}
