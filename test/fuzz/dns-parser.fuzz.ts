/**
 * Fuzz target: the DNS server's packet parser (`decodeMessage`), and re-encoding whatever it
 * accepts. A rejected packet must be a MalformedMessage (the server answers FORMERR or drops it);
 * anything else thrown is a crash. Shared by the bounded CI test and the long benchmark run.
 */
import { decodeMessage, encodeMessage, MalformedMessage } from '../../dns/codec.js';
import { inputs, Rng } from './mutate.js';

/** Well-formed seed queries (A, AAAA, SRV, PTR, with EDNS) and an answer with compression pointers. */
export function dnsSeeds(): Buffer[] {
  const q = (id: number, name: string, type: number, edns: boolean) => {
    const labels = Buffer.concat([...name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]);
    const header = Buffer.from([id >> 8, id & 255, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, edns ? 1 : 0]);
    const question = Buffer.concat([labels, Buffer.from([type >> 8, type & 255, 0, 1])]);
    const opt = edns ? Buffer.from([0, 0, 41, 0x10, 0x00, 0, 0, 0, 0, 0, 0]) : Buffer.alloc(0);
    return Buffer.concat([header, question, opt]);
  };
  const answer = Buffer.concat([
    Buffer.from([0x12, 0x34, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0]),
    Buffer.from([3, 119, 101, 98, 7, 100, 101, 102, 97, 117, 108, 116, 0, 0, 1, 0, 1]),
    Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 10, 96, 0, 10]),
    Buffer.from([0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 5, 0, 2, 0xc0, 12]),
  ]);
  return [q(1, 'kubernetes.default.svc.cluster.local', 1, false), q(2, 'web.default.svc.cluster.local', 28, true), q(3, '_http._tcp.web.default.svc.cluster.local', 33, true), q(4, '10.0.96.10.in-addr.arpa', 12, false), answer];
}

export interface FuzzReport {
  iterations: number;
  accepted: number;
  rejected: number;
  crashes: { seed: number; iteration: number; input: string; error: string }[];
  maxMs: number;
  /** Accepted by the decoder but refused by the encoder (RangeError): the server answers SERVFAIL. */
  encodeRefused?: number;
}

export function fuzzDnsParser(seed: number, iterations: number): FuzzReport {
  const rng = new Rng(seed);
  const r: FuzzReport = { iterations, accepted: 0, rejected: 0, crashes: [], maxMs: 0 };
  let i = 0;
  for (const input of inputs(rng, dnsSeeds(), iterations, 1024)) {
    const t = performance.now();
    try {
      const msg = decodeMessage(input);
      r.accepted++;
      try {
        encodeMessage(msg);
      } catch (err) {
        // dns/server.ts catches encoder errors and answers SERVFAIL; only RangeError is an expected refusal.
        if (!(err instanceof RangeError)) throw err;
        r.encodeRefused = (r.encodeRefused ?? 0) + 1;
      }
    } catch (err) {
      if (err instanceof MalformedMessage) r.rejected++;
      else if (r.crashes.length < 5) r.crashes.push({ seed, iteration: i, input: input.toString('hex'), error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
    }
    r.maxMs = Math.max(r.maxMs, performance.now() - t);
    i++;
  }
  return r;
}
