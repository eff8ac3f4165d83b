import { cniSchemas } from '../lazy-schemas.js';
import { quickConfig } from './config-fast.js';
import { CniCode, CniError } from './errors.js';

/**
 * The schemas (cni/schemas.ts), loaded and built on first use: only a configuration that
 * config-fast.ts does not confirm needs them, to say what is wrong with it.
 */
const buildSchemas = () => cniSchemas().buildConfigSchemas();
type Schemas = ReturnType<typeof import('../schemas.js').buildConfigSchemas>;
type Infer<T> = import('zod/mini').infer<T>;
let schemas: Schemas | undefined;
const getSchemas = (): Schemas => (schemas ??= buildSchemas());

export type RangeConfig = Infer<Schemas['rangeSchema']>;
/** `ipam`: built in when `type` is absent or "sextant", else the name of a plugin to exec. */
export type IpamConfig = Infer<Schemas['ipamSchema']>;
/** The plugin's network configuration (stdin), validated field by field. */
export type NetConfig = Infer<Schemas['configSchema']>;

/**
 * Decodes stdin: not JSON → code 6, schema violations → code 7 naming each field
 * (`ipam.ranges[0][0].subnet: must be an IPv4 CIDR`), contradictory options → code 7.
 */
export function parseConfig(stdin: string): NetConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(stdin);
  } catch (err) {
    throw new CniError(CniCode.Decode, 'network configuration is not valid JSON', (err as Error).message);
  }
  const data = (quickConfig(raw) as NetConfig | undefined) ?? parseWithSchema(raw);
  if (data.hairpinMode && data.promiscMode)
    throw new CniError(CniCode.InvalidConfig, 'invalid network configuration: hairpinMode and promiscMode cannot both be true');
  return data;
}

/** The zod schema's verdict: the parsed configuration, or code 7 naming every bad field. */
export function parseWithSchema(raw: unknown): NetConfig {
  // jitless: zod would otherwise generate and compile a parser for each object schema (new
  // Function, outside the code cache) — slower than interpreting it for the one parse a run does.
  const r = getSchemas().configSchema.safeParse(raw, { jitless: true });
  if (!r.success) {
    const problems = r.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
    throw new CniError(CniCode.InvalidConfig, `invalid network configuration: ${problems.join('; ')}`);
  }
  return r.data;
}

/** The config's version fields, read leniently so that VERSION and errors can answer in them. */
export function peekVersion(stdin: string): { cniVersion?: string; cniVersions?: string[] } {
  try {
    const v = JSON.parse(stdin) as { cniVersion?: unknown; cniVersions?: unknown };
    return {
      ...(typeof v.cniVersion === 'string' ? { cniVersion: v.cniVersion } : {}),
      ...(Array.isArray(v.cniVersions) ? { cniVersions: v.cniVersions.filter((x): x is string => typeof x === 'string') } : {}),
    };
  } catch {
    return {};
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '(root)';
}
