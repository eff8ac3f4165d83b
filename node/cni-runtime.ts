import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { toolPath } from '../kernel/exec-tool.js';
import { NodeAgentError } from './errors.js';

const pluginSchema = z.looseObject({ type: z.string().min(1, 'must name the plugin binary'), capabilities: z.record(z.string(), z.boolean()).optional() });
const confListSchema = z.looseObject({
  cniVersion: z.string().min(1, 'is required'),
  name: z.string().min(1, 'is required'),
  plugins: z.array(pluginSchema).min(1, 'must list at least one plugin'),
});
export type CniConfList = z.infer<typeof confListSchema>;

export interface CniRuntimeOptions {
  /** Directories searched for plugin binaries (`CNI_PATH`). */
  binDirs: string[];
  confDir: string;
  /** libcni's result cache lives under `<cacheDir>/results`. */
  cacheDir: string;
  /** Run plugins inside this network namespace (the node's, for the local cluster). */
  nodeNetns?: string;
}

/** One pod attachment as the runtime knows it. */
export interface Attachment {
  containerId: string;
  /** Path of the pod's network namespace (`/run/netns/sx-pod-...`). */
  netnsPath: string;
  ifName: string;
  /** Pod identity, passed as `K8S_POD_*` CNI_ARGS. */
  pod: { namespace: string; name: string; uid: string };
}

/** The CNI result's addresses (`10.244.1.5/24`) and the whole document. */
export interface AddResult {
  ips: string[];
  result: Record<string, unknown>;
}

interface CacheEntry {
  kind: 'cniCacheV1';
  containerId: string;
  ifName: string;
  networkName: string;
  config: CniConfList;
  cniArgs: string;
  result: Record<string, unknown>;
}

/**
 * Loads the network configuration the way the kubelet/containerd do: the first file, in lexical
 * order, of the conf dir ending in `.conflist` (or `.conf`/`.json`, a single plugin wrapped in a
 * list). Errors name the file and the field.
 */
export function loadConfList(confDir: string): CniConfList {
  let files: string[] = [];
  try {
    files = readdirSync(confDir).filter((f) => /\.(conflist|conf|json)$/.test(f)).sort();
  } catch (err) {
    throw new NodeAgentError('NODE_NO_CNI_CONFIG', `CNI conf dir ${confDir}: ${(err as Error).message}`);
  }
  const problems: string[] = [];
  for (const f of files) {
    try {
      const raw = JSON.parse(readFileSync(join(confDir, f), 'utf8')) as Record<string, unknown>;
      const doc = f.endsWith('.conflist') ? raw : { cniVersion: raw.cniVersion, name: raw.name, plugins: [raw] };
      const r = confListSchema.safeParse(doc);
      if (r.success) return r.data;
      problems.push(`${f}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    } catch (err) {
      problems.push(`${f}: ${(err as Error).message}`);
    }
  }
  throw new NodeAgentError('NODE_NO_CNI_CONFIG', `no usable network configuration in ${confDir}${problems.length ? ` (${problems.join('; ')})` : ''}`);
}

/**
 * Plays libcni for the node agent: ADD runs the conflist's plugins in order, handing each the
 * previous result, and caches the final result (with the config and args used) under
 * `<cacheDir>/results/<network>-<containerID>-<ifname>`; DEL runs them in reverse with the cached
 * result as `prevResult` and the cached config, so a changed conf dir still tears down what was
 * set up. Plugins are exec'd (never through a shell) with `CNI_*` env and the config on stdin.
 */
export class CniRuntime {
  constructor(private readonly o: CniRuntimeOptions) {}

  private cachePath(network: string, a: { containerId: string; ifName: string }): string {
    return join(this.o.cacheDir, 'results', `${network}-${a.containerId}-${a.ifName}`);
  }

  private cniArgs(a: Attachment): string {
    return `IgnoreUnknown=1;K8S_POD_NAMESPACE=${a.pod.namespace};K8S_POD_NAME=${a.pod.name};K8S_POD_INFRA_CONTAINER_ID=${a.containerId};K8S_POD_UID=${a.pod.uid}`;
  }

  private pluginConfig(list: CniConfList, plugin: z.infer<typeof pluginSchema>, prevResult: unknown): Record<string, unknown> {
    const { capabilities: _caps, ...rest } = plugin;
    return { ...rest, cniVersion: list.cniVersion, name: list.name, ...(prevResult ? { prevResult } : {}) };
  }

  private findPlugin(type: string): string {
    for (const d of this.o.binDirs) if (existsSync(join(d, type))) return join(d, type);
    throw new NodeAgentError('NODE_CNI_FAILED', `plugin "${type}" not found in ${this.o.binDirs.join(':')}`);
  }

  private exec(type: string, env: Record<string, string>, config: unknown): Promise<Record<string, unknown> | undefined> {
    const bin = this.findPlugin(type);
    const [file, args] = this.o.nodeNetns ? [toolPath('nsenter'), [`--net=/run/netns/${this.o.nodeNetns}`, '--', bin]] : [bin, []];
    const fullEnv = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', CNI_PATH: this.o.binDirs.join(':'), ...env };
    return new Promise((resolve, reject) => {
      const child = execFile(file, args, { env: fullEnv, encoding: 'utf8', maxBuffer: 8 << 20, timeout: 60_000 }, (err, stdout, stderr) => {
        let doc: Record<string, unknown> | undefined;
        try {
          doc = stdout.trim() ? (JSON.parse(stdout) as Record<string, unknown>) : undefined;
        } catch {
          doc = undefined;
        }
        if (err) {
          const why = doc && typeof doc.msg === 'string' ? `code ${String(doc.code)}: ${doc.msg}${doc.details ? ` (${String(doc.details)})` : ''}` : (stderr || stdout || err.message).trim();
          reject(new NodeAgentError('NODE_CNI_FAILED', `CNI ${env.CNI_COMMAND} ${type}: ${why}`));
        } else resolve(doc);
      });
      child.stdin?.end(JSON.stringify(config));
    });
  }

  private env(command: string, a: Attachment, args: string): Record<string, string> {
    return { CNI_COMMAND: command, CNI_CONTAINERID: a.containerId, CNI_NETNS: a.netnsPath, CNI_IFNAME: a.ifName, CNI_ARGS: args };
  }

  /** ADD through the chain; on failure the chain is torn down (DEL) before the error is thrown. */
  async add(a: Attachment): Promise<AddResult> {
    const list = loadConfList(this.o.confDir);
    const args = this.cniArgs(a);
    let prev: Record<string, unknown> | undefined;
    try {
      for (const p of list.plugins) prev = await this.exec(p.type, this.env('ADD', a, args), this.pluginConfig(list, p, prev));
    } catch (err) {
      await this.runDel(list, a, args, prev).catch(() => undefined);
      throw err;
    }
    const result = prev ?? {};
    const entry: CacheEntry = { kind: 'cniCacheV1', containerId: a.containerId, ifName: a.ifName, networkName: list.name, config: list, cniArgs: args, result };
    const path = this.cachePath(list.name, a);
    mkdirSync(join(this.o.cacheDir, 'results'), { recursive: true });
    writeFileSync(`${path}.tmp`, JSON.stringify(entry));
    renameSync(`${path}.tmp`, path);
    const ips = ((result.ips ?? []) as { address?: string }[]).map((i) => i.address ?? '').filter(Boolean);
    return { ips, result };
  }

  /** The cached ADD result of an attachment, if any (adoption after a restart reads the pod IP here). */
  cached(a: { containerId: string; ifName: string }): CacheEntry | undefined {
    const dir = join(this.o.cacheDir, 'results');
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      return undefined;
    }
    const suffix = `-${a.containerId}-${a.ifName}`;
    const hit = names.find((n) => n.endsWith(suffix));
    if (!hit) return undefined;
    try {
      return JSON.parse(readFileSync(join(dir, hit), 'utf8')) as CacheEntry;
    } catch {
      return undefined;
    }
  }

  /** DEL in reverse order with the cached result; idempotent (no cache and no conf: nothing to do). */
  async del(a: Attachment): Promise<void> {
    const c = this.cached(a);
    let list: CniConfList;
    if (c) list = c.config;
    else {
      try {
        list = loadConfList(this.o.confDir);
      } catch {
        return;
      }
    }
    await this.runDel(list, a, c?.cniArgs ?? this.cniArgs(a), c?.result);
    rmSync(this.cachePath(list.name, a), { force: true });
  }

  private async runDel(list: CniConfList, a: Attachment, args: string, prev: Record<string, unknown> | undefined): Promise<void> {
    const errors: string[] = [];
    for (const p of [...list.plugins].reverse()) {
      try {
        await this.exec(p.type, this.env('DEL', a, args), this.pluginConfig(list, p, prev));
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
    if (errors.length) throw new NodeAgentError('NODE_CNI_FAILED', errors.join('; '));
  }
}
