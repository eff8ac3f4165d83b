import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

const containerRecord = z.object({
  pid: z.number().int().optional(),
  startTicks: z.number().optional(),
  startedAt: z.string().optional(),
  restartCount: z.number().int(),
  /** Readiness last reported, so an adopting agent keeps the pod in its endpoints. */
  ready: z.boolean().optional(),
});

const podRecord = z.object({
  uid: z.string().min(1),
  namespace: z.string().min(1),
  name: z.string().min(1),
  netns: z.string().min(1),
  sandboxId: z.string().min(1),
  podIp: z.string().optional(),
  startTime: z.string(),
  containers: z.record(z.string(), containerRecord),
});

/** What the agent must remember about a pod to adopt it after a restart (one JSON file per pod UID). */
export type PodRecord = z.infer<typeof podRecord>;
export type ContainerRecord = z.infer<typeof containerRecord>;

/** The agent's state dir: `<dir>/pods/<uid>.json`, written atomically, and `<dir>/pods/<uid>.exit/` for exit statuses. */
export class PodStateStore {
  private readonly dir: string;
  constructor(stateDir: string) {
    this.dir = join(stateDir, 'pods');
    mkdirSync(this.dir, { recursive: true });
  }

  save(r: PodRecord): void {
    const p = join(this.dir, `${r.uid}.json`);
    writeFileSync(`${p}.tmp`, JSON.stringify(r));
    renameSync(`${p}.tmp`, p);
  }

  remove(uid: string): void {
    rmSync(join(this.dir, `${uid}.json`), { force: true });
    rmSync(join(this.dir, `${uid}.exit`), { recursive: true, force: true });
  }

  /**
   * The file a container's exit-status recorder writes (`<dir>/pods/<uid>.exit/<container>`): how
   * an agent that adopted the process learns its exit status. Its folder is made here.
   */
  exitStatusPath(uid: string, container: string): string {
    const dir = join(this.dir, `${uid}.exit`);
    mkdirSync(dir, { recursive: true });
    return join(dir, container);
  }

  /** Every readable record; unreadable files are returned as `corrupt` (the caller logs and removes them). */
  loadAll(): { records: PodRecord[]; corrupt: string[] } {
    const records: PodRecord[] = [];
    const corrupt: string[] = [];
    for (const f of readdirSync(this.dir).filter((n) => n.endsWith('.json'))) {
      try {
        const r = podRecord.safeParse(JSON.parse(readFileSync(join(this.dir, f), 'utf8')));
        if (r.success) records.push(r.data);
        else corrupt.push(f);
      } catch {
        corrupt.push(f);
      }
    }
    return { records, corrupt };
  }

  removeFile(file: string): void {
    rmSync(join(this.dir, file), { force: true });
  }
}
