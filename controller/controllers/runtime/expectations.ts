/**
 * Creations and deletions a controller has asked for but not yet seen in its informer, per
 * owner key (client-go's ControllerExpectations). While any are outstanding the owner is not
 * re-planned, so a ReplicaSet never creates its pods twice; they expire after a timeout in case
 * an event was missed.
 */
import type { Clock } from './clock.js';

interface Entry {
  adds: number;
  dels: Set<string>;
  at: number;
}

export class Expectations {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs = 5 * 60_000,
  ) {}

  expect(key: string, adds: number, deleteUids: readonly string[] = []): void {
    this.entries.set(key, { adds, dels: new Set(deleteUids), at: this.clock.now() });
  }

  /** One of the expected creations was seen (or failed, so will never be seen). */
  creationObserved(key: string): void {
    const e = this.entries.get(key);
    if (e && e.adds > 0) e.adds--;
  }

  deletionObserved(key: string, uid: string): void {
    this.entries.get(key)?.dels.delete(uid);
  }

  satisfied(key: string): boolean {
    const e = this.entries.get(key);
    if (!e) return true;
    if ((e.adds <= 0 && e.dels.size === 0) || this.clock.now() - e.at > this.ttlMs) {
      this.entries.delete(key);
      return true;
    }
    return false;
  }

  forget(key: string): void {
    this.entries.delete(key);
  }
}
