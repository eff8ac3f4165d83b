/**
 * Fuzz target: the API server's body decoding (`decodeObject` for JSON and YAML bodies, then the
 * kind's zod schema as the REST handlers apply it). Every failure must be an ApiServerError (a
 * 4xx Status); anything else thrown is a crash.
 */
import { podSchema, serviceSchema } from '../../controller/api/index.js';
import { decodeObject } from '../../controller/server/body.js';
import { ApiServerError } from '../../controller/server/errors.js';
import { inputs, Rng } from './mutate.js';
import type { FuzzReport } from './dns-parser.fuzz.js';

export function bodySeeds(): Buffer[] {
  const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] } };
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 80 }], env: [{ name: 'A', value: 'b' }] }] } };
  return [
    Buffer.from(JSON.stringify(svc)),
    Buffer.from(JSON.stringify(pod)),
    Buffer.from('apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n  - port: 80\n    targetPort: http\n'),
    Buffer.from('a: &x [1, 2]\nb: *x\nc: !!binary aGVsbG8=\nd: {e: [f, {g: h}]}\n'),
    Buffer.from('[{"op":"replace","path":"/spec/replicas","value":3}]'),
  ];
}

const TYPES = ['application/json', 'application/yaml', 'application/merge-patch+json', 'text/plain', undefined] as const;

export function fuzzBodyDecoding(seed: number, iterations: number): FuzzReport {
  const rng = new Rng(seed);
  const r: FuzzReport = { iterations, accepted: 0, rejected: 0, crashes: [], maxMs: 0 };
  let i = 0;
  for (const input of inputs(rng, bodySeeds(), iterations, 8192)) {
    const type = TYPES[rng.int(TYPES.length)];
    const t = performance.now();
    try {
      const obj = decodeObject(input, type);
      serviceSchema.safeParse(obj);
      podSchema.safeParse(obj);
      r.accepted++;
    } catch (err) {
      if (err instanceof ApiServerError && err.http >= 400 && err.http < 500) r.rejected++;
      else if (r.crashes.length < 5) r.crashes.push({ seed, iteration: i, input: input.toString('base64'), error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
    }
    r.maxMs = Math.max(r.maxMs, performance.now() - t);
    i++;
  }
  return r;
}

/** Pathological but legal-size bodies: deep nesting, long strings, alias bombs. */
export function hostileBodies(): { name: string; body: Buffer; type: string }[] {
  const depth = 100_000;
  return [
    { name: 'JSON nested 100k deep', body: Buffer.from('['.repeat(depth) + ']'.repeat(depth)), type: 'application/json' },
    { name: 'JSON object nested 100k deep', body: Buffer.from('{"a":'.repeat(depth) + '1' + '}'.repeat(depth)), type: 'application/json' },
    { name: 'YAML nested 10k deep', body: Buffer.from('['.repeat(10_000) + ']'.repeat(10_000)), type: 'application/yaml' },
    { name: 'YAML alias bomb', body: Buffer.from(['a: &a ["x","x","x","x","x","x","x","x","x"]', ...'bcdefghi'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`)].join('\n')), type: 'application/yaml' },
    { name: '3 MiB string', body: Buffer.from(`{"a":"${'x'.repeat(3 * 1024 * 1024 - 10)}"}`), type: 'application/json' },
  ];
}
