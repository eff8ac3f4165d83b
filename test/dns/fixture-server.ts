/**
 * A DNS server process for the namespace tests: runs `startDnsInstance` with the config in
 * $SX_DNS_CONFIG, fed by the handler-test fixture plus a 100-endpoint headless service, and takes
 * index changes as JSON lines on stdin (`{"op":"upsertService","obj":{...}}`), standing in for the
 * informer. With $SX_DNS_STUB=ADDR:PORT it also runs a tiny upstream that answers every A query
 * with 192.0.2.1 (and drops names starting with "drop"). Writes JSON events on stdout (query log lines too, with `log: {to: stdout}`).
 */
import dgram from 'node:dgram';
import readline from 'node:readline';
import { createLogger } from '../../daemon/logger.js';
import { parseDnsConfig } from '../../dns/config.js';
import { startDnsInstance } from '../../dns/instance.js';
import { decodeMessage, encodeMessage } from '../../dns/codec.js';
import { fixtureServices, fixtureSlices } from '../../dns/plugins/kubernetes/fixture.js';
import type { RecordIndex } from '../../dns/plugins/kubernetes/record-index.js';
import { TypeCode } from '../../dns/message.js';

const emit = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);

function startStub(spec: string) {
  const i = spec.lastIndexOf(':');
  const sock = dgram.createSocket('udp4');
  sock.on('message', (buf, r) => {
    try {
      const q = decodeMessage(buf);
      const name = q.questions[0]?.name ?? '';
      emit({ event: 'upstream', name });
      if (name.startsWith('drop')) return;
      const a = q.questions[0]?.type === TypeCode.A ? [{ name, type: 'A' as const, ttl: 60, data: '192.0.2.1' }] : [];
      sock.send(encodeMessage({ ...q, response: true, ra: true, answers: a }), r.port, r.address);
    } catch { /* a stub ignores garbage */ }
  });
  sock.bind(Number(spec.slice(i + 1)), spec.slice(0, i));
}

export function loadFixture(index: RecordIndex): void {
  for (const s of fixtureServices) index.upsertService(s);
  for (const s of fixtureSlices) index.upsertSlice(s);
  index.upsertService({ metadata: { namespace: 'ns1', name: 'big' }, spec: { clusterIP: 'None' } });
  index.upsertSlice({
    metadata: { namespace: 'ns1', name: 'big-1', labels: { 'kubernetes.io/service-name': 'big' } }, addressType: 'IPv4',
    endpoints: Array.from({ length: 100 }, (_, k) => ({ addresses: [`10.245.${k >> 8}.${(k & 255) + 1}`], conditions: { ready: true } })),
    ports: [{ name: 'http', protocol: 'TCP', port: 80 }],
  });
}

const cfg = parseDnsConfig(JSON.parse(process.env.SX_DNS_CONFIG ?? '{}'));
if (process.env.SX_DNS_STUB) startStub(process.env.SX_DNS_STUB);
const inst = await startDnsInstance(cfg, { log: createLogger('dns', { silent: true }), source: 'manual', onLoop: (probe) => emit({ event: 'loop', probe }) });
if (inst.index) loadFixture(inst.index);
inst.markSynced();
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const { op, obj } = JSON.parse(line) as { op: 'upsertService' | 'deleteService' | 'upsertSlice' | 'deleteSlice'; obj: never };
  inst.index?.[op](obj);
  emit({ event: 'applied', op });
});
process.stdin.on('end', () => void inst.stop().then(() => process.exit(0)));
process.on('SIGTERM', () => void inst.stop().then(() => process.exit(0)));
emit({ event: 'listening', port: inst.server.port });
