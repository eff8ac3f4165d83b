import * as z from 'zod/mini';

/**
 * Every zod schema of the CNI plugin, in one module that the plugin loads only when a quick check
 * did not confirm its input (lazy-schemas.ts): the usual run validates by hand and never
 * evaluates zod. Each builder is called once, on first use.
 */

/** The plugin's network configuration (stdin), validated field by field. */
export function buildConfigSchemas() {
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

/** The CNI_* values with rules of their own. */
export function buildEnvSchemas() {
  return {
    // At most NAME_MAX: runtimes and IPAM plugins put the ID into file names.
    containerId: z.string().check(z.regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'must match ^[a-zA-Z0-9][a-zA-Z0-9_.\\-]*$'), z.maxLength(255, 'must be at most 255 characters')),
    ifName: z
      .string()
      .check(
        z.minLength(1, 'must not be empty'),
        z.maxLength(15, 'must be at most 15 characters'),
        z.refine((s) => s !== '.' && s !== '..', 'must not be "." or ".."'),
        z.refine((s) => !s.startsWith('-'), 'must not start with "-" (it would read as an option)'),
        z.refine((s) => !/[/:\s]/.test(s), 'must not contain "/", ":" or whitespace'),
      ),
    netns: z.string().check(z.refine((s) => s.startsWith('/'), 'must be an absolute path')),
  };
}

/** The node subnet file's keys. */
export function buildSubnetSchema() {
  const cidr = z.string().check(z.regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, 'must be an IPv4 CIDR'));
  return z.object({
    SEXTANT_NETWORK: cidr,
    SEXTANT_SUBNET: cidr,
    SEXTANT_MTU: z.string().check(z.regex(/^\d+$/, 'must be a number'), z.refine((s) => Number(s) >= 576 && Number(s) <= 65535, 'must be 576-65535')),
    SEXTANT_IPMASQ: z.enum(['true', 'false']),
  });
}
