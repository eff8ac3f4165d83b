import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { quickConfig } from './config-fast.js';
import { parseWithSchema } from './config.js';

/** Configurations a runtime could send: minimal, every field, delegated IPAM, GC/CHECK extras. */
const BASES: Record<string, unknown>[] = [
  { cniVersion: '1.0.0', name: 'sx', type: 'sextant' },
  {
    cniVersion: '1.1.0', cniVersions: ['1.0.0', '1.1.0'], name: 'sx.net_1', type: 'sextant', bridge: 'sxb0', isGateway: false,
    isDefaultGateway: false, ipMasq: true, hairpinMode: true, promiscMode: false, mtu: 1450, subnetFile: '/run/sextant/subnet.env',
    ipam: {
      ranges: [[{ subnet: '10.250.0.0/16', rangeStart: '10.250.0.10', rangeEnd: '10.250.0.200', gateway: '10.250.0.1', extra: 1 }], [{ subnet: '10.251.0.0/24' }]],
      routes: [{ dst: '0.0.0.0/0', gw: '10.250.0.1' }, { dst: '10.0.0.0/8', other: 'x' }], dataDir: '/var/lib/cni/networks', custom: { a: 1 },
    },
    dns: { nameservers: ['10.96.0.10'], domain: 'cluster.local', search: ['svc.cluster.local'], options: ['ndots:5'], unknown: true },
    prevResult: { cniVersion: '1.0.0', interfaces: [{ name: 'eth0' }], ips: [] },
    'cni.dev/valid-attachments': [{ containerID: 'abc', ifname: 'eth0', extra: 2 }],
    'cni.dev/attachments': [{ containerID: 'def', ifname: 'net1' }],
    disableCheck: false, disableGC: true, runtimeConfig: { portMappings: [] }, args: { cni: {} },
  },
  { cniVersion: '0.4.0', name: 'ref', type: 'sextant', ipam: { type: 'host-local', subnet: '10.1.0.0/24', rangeStart: '10.1.0.5', rangeEnd: '10.1.0.9', gateway: '10.1.0.1' } },
  { name: 'sx', type: 'sextant', ipam: {}, dns: {} },
];

/** Replacement values of every JSON kind, good and bad for one field or another. */
const VALUES: unknown[] = [
  undefined, null, true, false, 0, 1, 575, 576, 1450.5, 65535, 65536, -1, '', 'x', '.', '..', '-x', 'a b', 'a/b', 'a:b', 'sx0',
  '0123456789abcdef', 'eth0', '10.0.0.1', '10.0.0.0/8', '1.2.3.4/33', '/abs/path', 'rel/path', 'host-local', '_bad', [], [[]], [{}],
  ['x'], [1], [[{ subnet: '10.9.0.0/16' }]], [{ dst: '10.0.0.0/8' }], [{ containerID: 'c', ifname: 'i' }], {}, { subnet: '10.2.0.0/16' },
  { nameservers: 'x' },
];

/** Every one-field mutation (including deletion) of an object, one level of nesting deep. */
function* mutations(base: Record<string, unknown>): Generator<Record<string, unknown>> {
  yield base;
  const keys = new Set([...Object.keys(base), 'bridge', 'mtu', 'ipam', 'dns', 'name', 'type', 'cniVersions', 'prevResult', 'subnetFile']);
  for (const k of keys)
    for (const v of VALUES) {
      const copy: Record<string, unknown> = { ...base };
      if (v === undefined) delete copy[k];
      else copy[k] = v;
      yield copy;
    }
  for (const [k, inner] of Object.entries(base)) {
    if (typeof inner !== 'object' || inner === null || Array.isArray(inner)) continue;
    for (const ik of new Set([...Object.keys(inner), 'type', 'ranges', 'routes', 'dataDir', 'subnet', 'gateway', 'nameservers', 'search']))
      for (const v of VALUES) {
        const nested: Record<string, unknown> = { ...(inner as Record<string, unknown>) };
        if (v === undefined) delete nested[ik];
        else nested[ik] = v;
        yield { ...base, [k]: nested };
      }
  }
}

function zodVerdict(raw: unknown): { ok: true; json: string } | { ok: false } {
  try {
    return { ok: true, json: JSON.stringify(parseWithSchema(raw)) };
  } catch {
    return { ok: false };
  }
}

describe('quickConfig: confirms only what the zod schema accepts, and builds the same object', () => {
  it('agrees with the schema on every one-field mutation of the sample configurations', () => {
    let confirmed = 0;
    let total = 0;
    for (const base of BASES)
      for (const m of mutations(base)) {
        total++;
        const raw: unknown = JSON.parse(JSON.stringify(m));
        const quick = quickConfig(raw);
        const zod = zodVerdict(raw);
        if (quick === undefined) continue;
        confirmed++;
        assert.ok(zod.ok, `quickConfig confirmed a configuration the schema rejects: ${JSON.stringify(m)}`);
        // Same keys, same order, same defaults: the serialisations are equal.
        assert.equal(JSON.stringify(quick), zod.json, `output differs for ${JSON.stringify(m)}`);
      }
    // The fast path must actually serve the usual case, not fall back every time.
    assert.ok(confirmed > total / 3, `only ${confirmed} of ${total} configurations confirmed`);
  });

  it('confirms the configurations the node agent and the bench send', () => {
    for (const base of BASES) assert.ok(quickConfig(JSON.parse(JSON.stringify(base))), JSON.stringify(base));
  });

  it('leaves non-objects and missing required fields to the schema', () => {
    for (const raw of [null, 1, 'x', [], { type: 'sextant' }, { name: 'sx' }, { name: '-bad', type: 'sextant' }])
      assert.equal(quickConfig(raw), undefined, JSON.stringify(raw));
  });
});
