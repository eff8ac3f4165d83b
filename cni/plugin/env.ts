import { cniSchemas } from '../lazy-schemas.js';
import { CniCode, CniError } from './errors.js';

/** The commands a runtime may ask for (CNI 1.1.0). */
export const COMMANDS = ['ADD', 'DEL', 'CHECK', 'VERSION', 'STATUS', 'GC'] as const;
export type CniCommand = (typeof COMMANDS)[number];

/** The zod schemas, built only to explain a value the quick checks below did not confirm. */
const buildSchemas = () => cniSchemas().buildEnvSchemas();
let schemas: ReturnType<typeof buildSchemas> | undefined;
export type EnvValueKind = 'containerId' | 'ifName' | 'netns';

/** The same rules as the schemas, as plain tests: true only when the schema would accept. */
export const QUICK: Record<EnvValueKind, (s: string) => boolean> = {
  containerId: (s) => s.length <= 255 && /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(s),
  ifName: (s) => s.length >= 1 && s.length <= 15 && s !== '.' && s !== '..' && !s.startsWith('-') && !/[/:\s]/.test(s),
  netns: (s) => s.startsWith('/'),
};

/** CNI_ARGS keys this plugin understands; anything else needs IgnoreUnknown. */
const KNOWN_ARGS = ['IgnoreUnknown', 'K8S_POD_NAMESPACE', 'K8S_POD_NAME', 'K8S_POD_INFRA_CONTAINER_ID', 'K8S_POD_UID', 'IP'] as const;

/** The validated CNI_* environment of one invocation. */
export interface CniEnv {
  command: CniCommand;
  containerId: string;
  netns: string;
  ifName: string;
  args: Record<string, string>;
  path: string[];
}

function fail(field: string, message: string): never {
  throw new CniError(CniCode.InvalidEnv, `${field}: ${message}`);
}

/** The value when valid; else CniError code 4 with the schema's messages for `field`. */
export function checkEnvValue(kind: EnvValueKind, field: string, value: string | undefined): string {
  return value !== undefined && QUICK[kind](value) ? value : checkWithSchema(kind, field, value);
}

/** The schema's verdict alone (what checkEnvValue falls back to). */
export function checkWithSchema(kind: EnvValueKind, field: string, value: string | undefined): string {
  const r = (schemas ??= buildSchemas())[kind].safeParse(value);
  if (!r.success) fail(field, r.error.issues.map((i) => i.message).join('; '));
  return r.data;
}

/** Parses `K=V;K=V`; unknown keys fail unless `IgnoreUnknown` is 1/true (as the Go skel does). */
export function parseCniArgs(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!raw) return out;
  for (const pair of raw.split(';')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) fail('CNI_ARGS', `"${pair}" is not KEY=VALUE`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const ignore = /^(1|true)$/i.test(out.IgnoreUnknown ?? '');
  if (!ignore) {
    const unknown = Object.keys(out).filter((k) => !(KNOWN_ARGS as readonly string[]).includes(k));
    if (unknown.length) fail('CNI_ARGS', `unknown args ${unknown.join(', ')} (set IgnoreUnknown=1 to ignore)`);
  }
  if (out.IP !== undefined && !/^\d+\.\d+\.\d+\.\d+$/.test(out.IP)) fail('CNI_ARGS', `IP: "${out.IP}" is not an IPv4 address`);
  return out;
}

/** Which variables each command needs (the spec's table; CNI_NETNS optional on DEL). */
const REQUIRED: Record<CniCommand, readonly string[]> = {
  ADD: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME'],
  CHECK: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME'],
  DEL: ['CNI_CONTAINERID', 'CNI_IFNAME'],
  VERSION: [],
  STATUS: [],
  GC: [],
};

/** Validates the environment; throws CniError code 4 naming the variable. */
export function parseEnv(env: Readonly<Record<string, string | undefined>>): CniEnv {
  const cmd = env.CNI_COMMAND;
  if (!cmd) fail('CNI_COMMAND', 'is required');
  if (!(COMMANDS as readonly string[]).includes(cmd)) fail('CNI_COMMAND', `unknown command "${cmd}" (one of ${COMMANDS.join(', ')})`);
  const command = cmd as CniCommand;
  for (const v of REQUIRED[command]) if (!env[v]) fail(v, `is required for ${command}`);
  const has = (v: string) => env[v] !== undefined && env[v] !== '';
  return {
    command,
    containerId: has('CNI_CONTAINERID') ? checkEnvValue('containerId', 'CNI_CONTAINERID', env.CNI_CONTAINERID) : '',
    netns: has('CNI_NETNS') ? checkEnvValue('netns', 'CNI_NETNS', env.CNI_NETNS) : '',
    ifName: has('CNI_IFNAME') ? checkEnvValue('ifName', 'CNI_IFNAME', env.CNI_IFNAME) : '',
    args: parseCniArgs(env.CNI_ARGS ?? ''),
    path: (env.CNI_PATH ?? '').split(':').filter(Boolean),
  };
}
