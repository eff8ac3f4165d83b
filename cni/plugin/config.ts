import * as z from 'zod/mini';
import { quickConfig } from './config-fast.js';
import { CniCode, CniError } from './errors.js';

/**
 * The schemas, built on first use: constructing zod schemas is a measurable part of a plugin
 * run's start-up, and VERSION (or an invalid environment) needs none of them.
 */
function buildSchemas() {
  const ipv4 = z.string().check(z.regex(/^\d{1,3}(\.\d{1,3}){3}$/, 'must be an IPv4 address'));
  const cidr4 = z.string().check(z.regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, 'must be an IPv4 CIDR'));

  const rangeSchema = z.object({
    subnet: cidr4,
    rangeStart: z.optional(ipv4),
    rangeEnd: z.optional(ipv4),
    gateway: z.optional(ipv4),
  });

  const routeSchema = z.object({ dst: cidr4, gw: z.optional(ipv4) });

  /** `ipam`: built in when `type` is absent or "sextant", else the name of a plugin to exec. */
  const ipamSchema = z.looseObject({
    type: z.optional(z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be a plugin file name (a letter or digit first)'))),
    ranges: z.optional(z.array(z.array(rangeSchema).check(z.minLength(1, 'a range set needs at least one range')))),
    subnet: z.optional(cidr4),
    rangeStart: z.optional(ipv4),
    rangeEnd: z.optional(ipv4),
    gateway: z.optional(ipv4),
    routes: z.optional(z.array(routeSchema)),
    dataDir: z.optional(z.string().check(z.refine((s) => s.startsWith('/'), 'must be an absolute path'))),
  });

  const attachment = z.object({ containerID: z.string(), ifname: z.string() });

  /** The plugin's network configuration (stdin), validated field by field. */
  const configSchema = z.looseObject({
    cniVersion: z.optional(z.string()),
    cniVersions: z.optional(z.array(z.string())),
    name: z.string().check(z.regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'must match ^[a-zA-Z0-9][a-zA-Z0-9_.\\-]*$')),
    type: z.string(),
    bridge: z._default(
      z.string().check(
        z.minLength(1),
        z.maxLength(15, 'must be at most 15 characters'),
        z.refine((s) => s !== '.' && s !== '..' && !/[/:\s]/.test(s), 'must be an interface name (no "/", ":" or whitespace, not "." or "..")'),
        z.refine((s) => !s.startsWith('-'), 'must not start with "-" (it would read as an option)'),
      ),
      'sx0',
    ),
    isGateway: z._default(z.boolean(), true),
    isDefaultGateway: z._default(z.boolean(), true),
    ipMasq: z.optional(z.boolean()),
    hairpinMode: z._default(z.boolean(), false),
    promiscMode: z._default(z.boolean(), false),
    mtu: z.optional(z.number().check(z.int(), z.minimum(576, 'must be 576-65535'), z.maximum(65535, 'must be 576-65535'))),
    subnetFile: z.optional(z.string().check(z.refine((s) => s.startsWith('/'), 'must be an absolute path'))),
    ipam: z.optional(ipamSchema),
    dns: z.optional(
      z.object({
        nameservers: z.optional(z.array(z.string())),
        domain: z.optional(z.string()),
        search: z.optional(z.array(z.string())),
        options: z.optional(z.array(z.string())),
      }),
    ),
    prevResult: z.optional(z.looseObject({})),
    'cni.dev/valid-attachments': z.optional(z.array(attachment)),
    'cni.dev/attachments': z.optional(z.array(attachment)),
    disableCheck: z.optional(z.boolean()),
    disableGC: z.optional(z.boolean()),
  });
  return { rangeSchema, ipamSchema, configSchema };
}
type Schemas = ReturnType<typeof buildSchemas>;
let schemas: Schemas | undefined;
const getSchemas = (): Schemas => (schemas ??= buildSchemas());

export type RangeConfig = z.infer<Schemas['rangeSchema']>;
/** `ipam`: built in when `type` is absent or "sextant", else the name of a plugin to exec. */
export type IpamConfig = z.infer<Schemas['ipamSchema']>;
/** The plugin's network configuration (stdin), validated field by field. */
export type NetConfig = z.infer<Schemas['configSchema']>;

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
