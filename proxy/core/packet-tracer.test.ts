import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDump } from '../../kernel/iptables-dump.js';
import { createFakeIptables } from '../../kernel/iptables-fake.js';
import { endpointChain } from './chain-names.js';
import { JUMP_RULES } from './jump-rules.js';
import { summarize, tracePacket, type Packet } from './packet-tracer.js';
import { buildRules, type RuleBuilderConfig } from './rule-builder.js';
import { CONFIG, NODE_IP, scenarioState } from './test-scenario.js';

async function dumpFor(cfg: RuleBuilderConfig) {
  const s = scenarioState();
  const ipt = createFakeIptables();
  await ipt.restore(buildRules(cfg, { services: s.services, endpoints: s.endpoints, full: true, changedServices: s.changed, existingChains: new Set(), missingJumps: JUMP_RULES }).payload);
  return parseDump(await ipt.save());
}

type Want = [verdict: string, destination: string, masq: boolean, probability?: number];

interface Case {
  name: string;
  pkt: Packet;
  want: Want[];
  recent?: string[];
  nodeAddresses?: string[];
  cfg?: RuleBuilderConfig;
}

const POD = '10.244.1.50';
const OUTSIDE = '203.0.113.5';
const tcp = (src: string, dst: string, dport: number): Packet => ({ src, proto: 'tcp', dst, dport });

const cases: Case[] = [
  { name: 'ClusterIP TCP from a pod: three endpoints, 1/3 each, not masqueraded', pkt: tcp(POD, '10.96.0.10', 80), want: [['endpoint', '10.244.1.2:8080', false, 1 / 3], ['endpoint', '10.244.1.3:8080', false, 1 / 3], ['endpoint', '10.244.2.2:8080', false, 1 / 3]] },
  { name: 'ClusterIP from the node (OUTPUT): masqueraded, not from the pod CIDR', pkt: tcp(NODE_IP, '10.96.0.10', 80), want: [['endpoint', '10.244.1.2:8080', true], ['endpoint', '10.244.1.3:8080', true], ['endpoint', '10.244.2.2:8080', true]] },
  { name: 'hairpin: a pod reaching itself through its service is masqueraded', pkt: tcp('10.244.1.2', '10.96.0.10', 80), want: [['endpoint', '10.244.1.2:8080', true], ['endpoint', '10.244.1.3:8080', false], ['endpoint', '10.244.2.2:8080', false]] },
  { name: 'ClusterIP on a port the service does not have: untouched', pkt: tcp(POD, '10.96.0.10', 81), want: [['ACCEPT', '10.96.0.10:81', false]] },
  { name: 'ClusterIP UDP', pkt: { src: POD, proto: 'udp', dst: '10.96.0.53', dport: 53 }, want: [['endpoint', '10.244.1.53:5353', false]] },
  { name: 'UDP service with a TCP packet: untouched', pkt: tcp(POD, '10.96.0.53', 53), want: [['ACCEPT', '10.96.0.53:53', false]] },
  { name: 'ClusterIP SCTP', pkt: { src: POD, proto: 'sctp', dst: '10.96.0.60', dport: 9999 }, want: [['endpoint', '10.244.2.60:9999', false]] },
  { name: 'NodePort, policy Cluster, from outside: any endpoint, masqueraded', pkt: tcp(OUTSIDE, NODE_IP, 30080), want: [['endpoint', '10.244.1.4:8080', true, 0.5], ['endpoint', '10.244.2.4:8080', true, 0.5]] },
  { name: 'NodePort, policy Local, from outside: local endpoint only, source kept', pkt: tcp(OUTSIDE, NODE_IP, 30081), want: [['endpoint', '10.244.1.5:8080', false, 1]] },
  { name: 'NodePort, policy Local, from a pod: short-circuit to all endpoints', pkt: tcp(POD, NODE_IP, 30081), want: [['endpoint', '10.244.1.5:8080', false], ['endpoint', '10.244.2.5:8080', false]] },
  { name: 'NodePort, policy Local, from the node itself: all endpoints, masqueraded', pkt: tcp(NODE_IP, NODE_IP, 30081), want: [['endpoint', '10.244.1.5:8080', true], ['endpoint', '10.244.2.5:8080', true]] },
  { name: 'NodePort, policy Local, no local endpoint, from outside: DROP', pkt: tcp(OUTSIDE, NODE_IP, 30082), want: [['DROP', '', false]] },
  { name: 'health-check NodePort of a Local service is accepted', pkt: tcp(OUTSIDE, NODE_IP, 32081), want: [['ACCEPT', `${NODE_IP}:32081`, false]] },
  { name: 'NodePort on 127.0.0.1 is not served (route_localnet off)', pkt: tcp('127.0.0.1', '127.0.0.1', 30080), want: [['ACCEPT', '127.0.0.1:30080', false]] },
  { name: 'internalTrafficPolicy Local without a local endpoint: DROP', pkt: tcp(POD, '10.96.0.23', 80), want: [['DROP', '', false]] },
  { name: 'externalIP from outside: masqueraded (policy Cluster)', pkt: tcp(OUTSIDE, '192.0.2.24', 80), want: [['endpoint', '10.244.1.6:8080', true]] },
  { name: 'load-balancer ingress IP from outside', pkt: tcp(OUTSIDE, '198.51.100.24', 80), want: [['endpoint', '10.244.1.6:8080', true]] },
  { name: 'NodePort of a LoadBalancer service', pkt: tcp(OUTSIDE, NODE_IP, 30084), want: [['endpoint', '10.244.1.6:8080', true]] },
  { name: 'session affinity, new client: random choice', pkt: tcp(POD, '10.96.0.25', 80), want: [['endpoint', '10.244.1.7:8080', false, 0.5], ['endpoint', '10.244.1.8:8080', false, 0.5]] },
  { name: 'session affinity, returning client: same endpoint', pkt: tcp(POD, '10.96.0.25', 80), recent: [endpointChain('ns1/affinity', 'tcp', '10.244.1.8:8080')], want: [['endpoint', '10.244.1.8:8080', false, 1]] },
  { name: 'no endpoints, ClusterIP: REJECT', pkt: tcp(POD, '10.96.0.26', 80), want: [['REJECT', '', false]] },
  { name: 'no endpoints, ClusterIP from the node: REJECT', pkt: tcp(NODE_IP, '10.96.0.26', 80), want: [['REJECT', '', false]] },
  { name: 'no endpoints, NodePort from outside: REJECT', pkt: tcp(OUTSIDE, NODE_IP, 30086), want: [['REJECT', '', false]] },
  { name: 'only terminating endpoints: the serving one is used', pkt: tcp(POD, '10.96.0.27', 80), want: [['endpoint', '10.244.1.9:8080', false]] },
  { name: 'ready and terminating endpoints: only the ready one', pkt: tcp(POD, '10.96.0.28', 80), want: [['endpoint', '10.244.1.11:8080', false]] },
  { name: 'pod to pod directly: not NATed, not masqueraded', pkt: tcp(POD, '10.244.2.2', 8080), want: [['ACCEPT', '10.244.2.2:8080', false]] },
  {
    name: 'NodePort restricted to 192.168.50.0/24: served there',
    cfg: { ...CONFIG, nodePortCIDRs: ['192.168.50.0/24'] },
    nodeAddresses: [NODE_IP, '172.16.0.2'],
    pkt: tcp(OUTSIDE, NODE_IP, 30080),
    want: [['endpoint', '10.244.1.4:8080', true], ['endpoint', '10.244.2.4:8080', true]],
  },
  {
    name: 'NodePort restricted to 192.168.50.0/24: not on another node address',
    cfg: { ...CONFIG, nodePortCIDRs: ['192.168.50.0/24'] },
    nodeAddresses: [NODE_IP, '172.16.0.2'],
    pkt: tcp(OUTSIDE, '172.16.0.2', 30080),
    want: [['ACCEPT', '172.16.0.2:30080', false]],
  },
];

for (const c of cases) {
  test(`trace: ${c.name}`, async () => {
    const dump = await dumpFor(c.cfg ?? CONFIG);
    const outcomes = tracePacket(dump, c.pkt, { nodeAddresses: c.nodeAddresses ?? [NODE_IP], recent: new Set(c.recent ?? []) });
    const got = summarize(outcomes);
    assert.deepEqual(
      got.map((g) => [g.verdict, g.destination, g.masqueraded]),
      c.want.map(([v, d, m]) => [v, d, m]),
    );
    const total = got.reduce((s, g) => s + g.probability, 0);
    assert.ok(Math.abs(total - 1) < 1e-6, `probabilities sum to ${total}`);
    c.want.forEach(([, , , p], i) => {
      if (p !== undefined) assert.ok(Math.abs(got[i]!.probability - p) < 1e-6, `probability ${got[i]!.probability} want ${p}`);
    });
    for (const o of outcomes) assert.ok(o.steps.length > 0);
  });
}

test('trace: the path names the chains a reader expects', async () => {
  const dump = await dumpFor(CONFIG);
  const [o] = tracePacket(dump, tcp(OUTSIDE, NODE_IP, 30081), { nodeAddresses: [NODE_IP] });
  const chains = o!.steps.map((s) => `${s.table}/${s.chain}`);
  assert.deepEqual(chains.slice(0, 5), ['nat/PREROUTING', 'nat/SX-SERVICES', 'nat/SX-NODEPORTS', chains[3], chains[4]]);
  assert.match(chains[3]!, /^nat\/SX-EXT-/);
  assert.match(chains[4]!, /^nat\/SX-SVL-/);
});
