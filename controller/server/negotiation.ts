/**
 * Content negotiation: which representation an Accept header asks for. kubectl asks for a
 * Table (`application/json;as=Table;v=v1;g=meta.k8s.io`) for `get`, and for aggregated
 * discovery (`application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList`) on
 * `/api` and `/apis`, each time with plain JSON as a fallback.
 */
export interface MediaRange {
  type: string;
  params: Record<string, string>;
}

export function parseAccept(accept: string | undefined): MediaRange[] {
  if (!accept) return [];
  return accept.split(',').map((part) => {
    const [type, ...params] = part.split(';').map((s) => s.trim());
    const p: Record<string, string> = {};
    for (const kv of params) {
      const i = kv.indexOf('=');
      if (i > 0) p[kv.slice(0, i).trim()] = kv.slice(i + 1).trim();
    }
    return { type: (type ?? '').toLowerCase(), params: p };
  });
}

const jsonish = (t: string) => t === 'application/json' || t === '*/*' || t === 'application/*';

/** The first acceptable choice among Table and plain JSON. */
export function wantsTable(accept: string | undefined): boolean {
  for (const r of parseAccept(accept)) {
    if (r.type === 'application/json' && r.params.as === 'Table' && r.params.g === 'meta.k8s.io' && (r.params.v === 'v1' || r.params.v === 'v1beta1')) return true;
    if (jsonish(r.type) && !r.params.as) return false;
  }
  return false;
}

/** Whether the client takes aggregated discovery v2 before the legacy documents. */
export function wantsAggregatedDiscovery(accept: string | undefined): boolean {
  for (const r of parseAccept(accept)) {
    if (r.type === 'application/json' && r.params.as === 'APIGroupDiscoveryList' && r.params.g === 'apidiscovery.k8s.io' && r.params.v === 'v2') return true;
    if (jsonish(r.type) && !r.params.as) return false;
  }
  return false;
}

export const AGGREGATED_DISCOVERY_CONTENT_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
export const TABLE_CONTENT_TYPE = 'application/json;as=Table;v=v1;g=meta.k8s.io';
