import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { defineCommand } from '../daemon/command.js';
import { flagTypes } from '../daemon/flags.js';
import { parseDump } from '../kernel/iptables-dump.js';
import { runTool } from '../kernel/iptables-exec.js';
import { createIptables } from '../kernel/iptables.js';
import { isIPv4, tracePacket, type Packet, type TraceOutcome } from './core/index.js';
import { ProxyError } from './errors.js';

const ip = () => z.string().refine(isIPv4, 'must be an IPv4 address');

/** Renders outcomes for a person: each possible path, the rules matched, and where the packet ends. */
export function formatTrace(pkt: Packet, origin: string, outcomes: readonly TraceOutcome[]): string {
  const lines = [`packet ${pkt.proto} ${pkt.src} -> ${pkt.dst}:${pkt.dport} (${origin === 'local' ? 'sent by the node: OUTPUT' : 'arriving at the node: PREROUTING'})`];
  outcomes.forEach((o, i) => {
    lines.push('', `path ${i + 1} of ${outcomes.length} (probability ${(o.probability * 100).toFixed(1)}%):`);
    for (const s of o.steps) lines.push(`  ${`${s.table}/${s.chain}`.padEnd(32)} ${s.rule}`);
    for (const a of o.assumptions) lines.push(`  (assumed: ${a})`);
    const where = o.verdict === 'endpoint' ? `endpoint ${o.destination}` : o.verdict === 'ACCEPT' ? `accepted unchanged to ${o.destination}` : o.verdict;
    lines.push(`  => ${where}; masqueraded: ${o.masqueraded ? 'yes' : 'no'}`);
  });
  return lines.join('\n');
}

async function localAddresses(netns: string | undefined): Promise<string[]> {
  const r = await runTool('ip', ['-4', '-o', 'addr', 'show'], netns ? { netns } : {});
  return [...r.stdout.matchAll(/inet (\d+\.\d+\.\d+\.\d+)\//g)].map((m) => m[1]!);
}

export default defineCommand({
  name: 'trace',
  usage: 'sextant trace --src IP --dst IP --port P [--proto tcp] [--from-file DUMP | --netns NAME | --name CLUSTER --node NODE] [--node-ip IP,...]',
  summary: "Explain what a node's service rules do with a packet: every chain and rule matched, the endpoint chosen (or REJECT/DROP), and whether it is masqueraded.",
  flags: {
    src: { help: 'source address of the packet', schema: ip() },
    dst: { help: 'destination address (ClusterIP, node IP, external or LB IP)', schema: ip() },
    port: { help: 'destination port', schema: flagTypes.port() },
    proto: { help: 'tcp, udp or sctp', schema: z.enum(['tcp', 'udp', 'sctp']).default('tcp') },
    'from-file': { help: 'read rules from a saved iptables-save dump instead of the live node', schema: z.string().optional() },
    netns: { help: 'read the live rules of this network namespace', schema: z.string().optional() },
    'node-ip': { help: "the node's addresses (default: read from the live namespace)", schema: flagTypes.list().optional() },
    origin: { help: 'local (sent by the node) or remote (from a pod/outside); default: local when --src is a node address', schema: z.enum(['local', 'remote']).optional() },
    'iptables-mode': { help: 'nft or legacy', schema: z.enum(['nft', 'legacy']).default('nft') },
    name: { help: 'local cluster name (`sextant cluster up --name`), with --node', schema: z.string().optional() },
    node: { help: 'node of the local cluster named by --name: read the live rules of its namespace', schema: z.string().optional() },
    json: { help: 'print the outcomes as JSON', schema: z.boolean().default(false), boolean: true },
  },
  async run(f) {
    let netns = f.netns;
    if (f.name || f.node) {
      if (!f.name || !f.node) throw new ProxyError('PROXY_TRACE_INPUT', '--name and --node go together: a local cluster and one of its nodes');
      netns = (await import('../cluster/lookup.js')).nodeNetns(f.name, f.node);
    }
    let text: string;
    if (f.fromFile) text = await readFile(f.fromFile, 'utf8');
    else text = await createIptables({ mode: f.iptablesMode, ...(netns ? { netns } : {}) }).save();
    let dump;
    try {
      dump = parseDump(text);
    } catch (err) {
      throw new ProxyError('PROXY_TRACE_INPUT', `cannot read the dump: ${String(err)}`, { cause: err });
    }
    const nodeAddresses = f.nodeIp ?? (f.fromFile ? [] : await localAddresses(netns));
    const pkt: Packet = { src: f.src, dst: f.dst, dport: f.port, proto: f.proto };
    const origin = f.origin ?? (nodeAddresses.includes(f.src) || f.src.startsWith('127.') ? 'local' : 'remote');
    const outcomes = tracePacket(dump, pkt, { nodeAddresses, origin });
    process.stdout.write((f.json ? JSON.stringify({ packet: pkt, origin, nodeAddresses, outcomes }, null, 2) : formatTrace(pkt, origin, outcomes)) + '\n');
    return 0;
  },
});
