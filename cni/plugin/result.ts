/** The CNI result model (spec 1.1.0 field names), converted to older versions on output. */
export interface CniInterface {
  name: string;
  mac?: string;
  mtu?: number;
  sandbox?: string;
}
export interface CniIp {
  address: string;
  gateway?: string;
  interface?: number;
}
export interface CniRoute {
  dst: string;
  gw?: string;
  mtu?: number;
  advmss?: number;
  priority?: number;
  table?: number;
  scope?: number;
}
export interface CniDns {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}
export interface CniResult {
  cniVersion: string;
  interfaces?: CniInterface[];
  ips?: CniIp[];
  routes?: CniRoute[];
  dns?: CniDns;
}

/**
 * Renders a result in `version`: 0.3.x and 0.4.0 carry `version: "4"|"6"` on each IP and no
 * interface MTU; 1.0.0+ drop `version`. Absent fields are omitted, as the Go types do.
 */
export function renderResult(r: Omit<CniResult, 'cniVersion'>, version: string): Record<string, unknown> {
  const legacy = version.startsWith('0.');
  const out: Record<string, unknown> = { cniVersion: version };
  if (r.interfaces?.length)
    out.interfaces = r.interfaces.map((i) => (legacy ? { name: i.name, mac: i.mac, sandbox: i.sandbox } : i));
  if (r.ips?.length)
    out.ips = r.ips.map((ip) => (legacy ? { version: ip.address.includes(':') ? '6' : '4', ...ip } : ip));
  if (r.routes?.length) out.routes = r.routes;
  out.dns = r.dns ?? {};
  return out;
}

/** Reads a result of any supported version (prevResult, a delegate's output) into the model. */
export function normaliseResult(raw: unknown): Omit<CniResult, 'cniVersion'> {
  const r = (raw ?? {}) as Record<string, unknown>;
  const arr = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);
  return {
    interfaces: arr<CniInterface>(r.interfaces),
    ips: arr<CniIp & { version?: string }>(r.ips).map(({ version: _v, ...ip }) => ip),
    routes: arr<CniRoute>(r.routes),
    dns: (r.dns as CniDns | undefined) ?? {},
  };
}
