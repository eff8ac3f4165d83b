import { statSync } from 'node:fs';

/** Facts about network namespace handles (paths such as /run/netns/NAME or /proc/PID/ns/net). */
export interface Netns {
  /** True when `path` exists and names a namespace handle. */
  exists(path: string): boolean;
  /** True when `path` is the caller's own network namespace (CNI forbids ADD into it). */
  isOwn(path: string): boolean;
}

/** Compares device and inode with /proc/self/ns/net, as the Go ns package does. */
export const realNetns: Netns = {
  exists(path) {
    try {
      statSync(path);
      return true;
    } catch {
      return false;
    }
  },
  isOwn(path) {
    try {
      const a = statSync(path);
      const b = statSync('/proc/self/ns/net');
      return a.dev === b.dev && a.ino === b.ino;
    } catch {
      return false;
    }
  },
};
