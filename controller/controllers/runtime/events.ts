/**
 * Records core/v1 Events about objects (what `kubectl describe` lists at the bottom). Repeats of
 * the same reason and message on the same object within ten minutes bump `count` and
 * `lastTimestamp` on one Event instead of creating another. Recording never fails the caller.
 */
import type { Event, ObjectReference } from '../../api/index.js';
import type { ApiClient } from '../../api/client.js';
import { KINDS } from '../../api/index.js';
import type { Clock } from './clock.js';

export interface EventTarget {
  apiVersion?: string;
  kind?: string;
  metadata: { name?: string; namespace?: string; uid?: string; resourceVersion?: string };
}

export interface EventRecorder {
  normal(obj: EventTarget, reason: string, message: string): void;
  warning(obj: EventTarget, reason: string, message: string): void;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export function createEventRecorder(client: ApiClient, component: string, clock: Clock, onError?: (err: Error) => void): EventRecorder {
  const recent = new Map<string, { name: string; namespace: string; count: number; at: number }>();
  const record = (obj: EventTarget, type: 'Normal' | 'Warning', reason: string, message: string) => {
    const namespace = obj.metadata.namespace ?? 'default';
    const ref: ObjectReference = {
      kind: obj.kind,
      namespace: obj.metadata.namespace,
      name: obj.metadata.name,
      uid: obj.metadata.uid,
      apiVersion: obj.apiVersion,
      resourceVersion: obj.metadata.resourceVersion,
    };
    const key = `${obj.metadata.uid ?? `${namespace}/${obj.metadata.name}`}\0${type}\0${reason}\0${message}`;
    const now = clock.now();
    const prev = recent.get(key);
    if (recent.size > 4096) for (const [k, v] of recent) if (now - v.at > 600_000) recent.delete(k);
    if (prev && now - prev.at < 600_000) {
      prev.count++;
      prev.at = now;
      client
        .patch(KINDS.Event, prev.namespace, prev.name, { count: prev.count, lastTimestamp: iso(now) }, 'merge')
        .catch((err: Error) => onError?.(err));
      return;
    }
    const name = `${obj.metadata.name ?? 'object'}.${(now * 1000 + Math.floor(Math.random() * 1000)).toString(16)}`;
    recent.set(key, { name, namespace, count: 1, at: now });
    const ev: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: ref,
      reason,
      message,
      type,
      count: 1,
      firstTimestamp: iso(now),
      lastTimestamp: iso(now),
      source: { component },
      reportingComponent: component,
    };
    client.create(KINDS.Event, ev).catch((err: Error) => onError?.(err));
  };
  return {
    normal: (o, r, m) => record(o, 'Normal', r, m),
    warning: (o, r, m) => record(o, 'Warning', r, m),
  };
}
