import type { Endpoints } from '../../api/endpoints.js';
import type { EndpointSlice } from '../../api/endpoint-slice.js';
import { timeSince } from './human-duration.js';
import { AGE_COLUMN, NAME_COLUMN, column, type Printer } from './types.js';

const MAX_SHOWN = 3;

/** At most three entries, then ` + N more...`, as kubectl abbreviates address lists. */
const abbreviate = (items: string[], empty: string): string => {
  if (items.length > MAX_SHOWN) return `${items.slice(0, MAX_SHOWN).join(',')} + ${items.length - MAX_SHOWN} more...`;
  return items.length === 0 ? empty : items.join(',');
};

const hostPort = (ip: string, port: number) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

/** `10.0.0.1:80,10.0.0.2:80 + 3 more...`: ready addresses × ports of every subset; `<none>` when empty. */
export const formatEndpoints = (ep: Endpoints): string => {
  const subsets = ep.subsets ?? [];
  if (subsets.length === 0) return '<none>';
  const items: string[] = [];
  for (const subset of subsets) {
    const addresses = subset.addresses ?? [];
    if ((subset.ports ?? []).length === 0) items.push(...addresses.map((a) => a.ip));
    else for (const port of subset.ports ?? []) items.push(...addresses.map((a) => hostPort(a.ip, port.port)));
  }
  return abbreviate(items, '');
};

/** Endpoints: NAME ENDPOINTS AGE. */
export const endpointsPrinter: Printer<Endpoints> = {
  columns: [NAME_COLUMN, column('Endpoints', 'Ready addresses with their ports.'), AGE_COLUMN],
  row(ep, now) {
    return { cells: [ep.metadata?.name ?? '', formatEndpoints(ep), timeSince(ep.metadata?.creationTimestamp, now)] };
  },
};

/** EndpointSlices: NAME ADDRESSTYPE PORTS ENDPOINTS AGE (`<unset>` for empty lists). */
export const endpointSlicePrinter: Printer<EndpointSlice> = {
  columns: [
    NAME_COLUMN,
    column('AddressType', 'IPv4, IPv6 or FQDN.'),
    column('Ports', 'Port numbers (or names) the endpoints serve.'),
    column('Endpoints', 'Addresses of the endpoints.'),
    AGE_COLUMN,
  ],
  row(slice, now) {
    const ports = (slice.ports ?? []).map((p) => (p.port !== undefined ? String(p.port) : p.name ?? '*'));
    const addresses = (slice.endpoints ?? []).flatMap((e) => e.addresses ?? []);
    return {
      cells: [
        slice.metadata?.name ?? '',
        slice.addressType ?? '',
        abbreviate(ports, '<unset>'),
        abbreviate(addresses, '<unset>'),
        timeSince(slice.metadata?.creationTimestamp, now),
      ],
    };
  },
};
