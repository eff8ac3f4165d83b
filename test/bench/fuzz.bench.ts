/**
 * Long fuzz runs (the CI test runs a bounded slice): the DNS packet parser and the API server's
 * body decoding, with a fresh seed each run. Prints one JSON document: inputs per second,
 * outcomes, worst single-input time, heap growth, and any crash with the seed that reproduces it.
 * `SX_FUZZ_ITERATIONS` (default 1,000,000 packets / 200,000 bodies) and `SX_FUZZ_SEED` override.
 */
import { fuzzBodyDecoding } from '../fuzz/body-decoding.fuzz.js';
import { fuzzDnsParser } from '../fuzz/dns-parser.fuzz.js';

const seed = Number(process.env.SX_FUZZ_SEED ?? Date.now() % 1_000_000_000);
const n = process.env.SX_FUZZ_ITERATIONS ? Number(process.env.SX_FUZZ_ITERATIONS) : undefined;

const run = <R extends { iterations: number }>(fn: () => R) => {
  const heap = process.memoryUsage().heapUsed;
  const t = performance.now();
  const r = fn();
  const secs = (performance.now() - t) / 1000;
  return { ...r, perSecond: Math.round(r.iterations / secs), seconds: Number(secs.toFixed(1)), heapGrowthMiB: Number(((process.memoryUsage().heapUsed - heap) / 1048576).toFixed(1)) };
};

const dns = run(() => fuzzDnsParser(seed, n ?? 1_000_000));
const body = run(() => fuzzBodyDecoding(seed, n ? Math.ceil(n / 5) : 200_000));
process.stdout.write(JSON.stringify({ benchmark: 'fuzz', seed, dnsParser: dns, apiBodyDecoding: body, crashes: dns.crashes.length + body.crashes.length }, null, 2) + '\n');
if (dns.crashes.length + body.crashes.length > 0) process.exitCode = 1;
