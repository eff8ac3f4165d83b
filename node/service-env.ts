import type { Service } from '../controller/api/index.js';

/**
 * The Docker-links-style environment variables the kubelet gives every container for the
 * services of its namespace (and for `kubernetes` in `default` always): `<NAME>_SERVICE_HOST`,
 * `<NAME>_SERVICE_PORT`, `<NAME>_SERVICE_PORT_<PORT_NAME>`, `<NAME>_PORT=tcp://ip:port`,
 * `<NAME>_PORT_<port>_<PROTO>` (+ `_PROTO`, `_PORT`, `_ADDR`). Headless services and services
 * without a ClusterIP give none. `enableServiceLinks: false` keeps only the `kubernetes` ones.
 */
export function serviceEnv(services: readonly Service[], namespace: string, enableServiceLinks: boolean): Record<string, string> {
  const env: Record<string, string> = {};
  const chosen = new Map<string, Service>();
  for (const s of services) {
    const ns = s.metadata.namespace ?? 'default';
    const name = s.metadata.name ?? '';
    if (ns === namespace && enableServiceLinks) chosen.set(name, s);
  }
  const master = services.find((s) => s.metadata.namespace === 'default' && s.metadata.name === 'kubernetes');
  if (master && !chosen.has('kubernetes')) chosen.set('kubernetes', master);
  for (const [name, s] of [...chosen].sort(([a], [b]) => a.localeCompare(b))) {
    const ip = s.spec?.clusterIP;
    if (!ip || ip === 'None') continue;
    const ports = s.spec?.ports ?? [];
    if (!ports.length) continue;
    const prefix = name.toUpperCase().replace(/-/g, '_');
    const first = ports[0]!;
    env[`${prefix}_SERVICE_HOST`] = ip;
    env[`${prefix}_SERVICE_PORT`] = String(first.port);
    for (const p of ports) if (p.name) env[`${prefix}_SERVICE_PORT_${p.name.toUpperCase().replace(/-/g, '_')}`] = String(p.port);
    env[`${prefix}_PORT`] = `${(first.protocol ?? 'TCP').toLowerCase()}://${ip}:${first.port}`;
    for (const p of ports) {
      const proto = (p.protocol ?? 'TCP').toUpperCase();
      const base = `${prefix}_PORT_${p.port}_${proto}`;
      env[base] = `${proto.toLowerCase()}://${ip}:${p.port}`;
      env[`${base}_PROTO`] = proto.toLowerCase();
      env[`${base}_PORT`] = String(p.port);
      env[`${base}_ADDR`] = ip;
    }
  }
  return env;
}
