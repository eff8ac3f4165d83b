/**
 * The program a test pod runs: an in-cluster client that reads the mounted service-account
 * files at the usual path, connects with `ApiClient.fromKubeconfig()` (no kubeconfig: the
 * in-cluster fallback, TLS with the mounted CA, the mounted token), lists Services and tries to
 * create one. Prints one JSON line with what it saw and the answers' codes and messages.
 */
import { existsSync, readFileSync } from 'node:fs';
import { ApiClient, KINDS, isApiError } from '../../controller/api/index.js';

const dir = '/var/run/secrets/kubernetes.io/serviceaccount';
const out: Record<string, unknown> = { tokenPresent: existsSync(`${dir}/token`) };
const outcome = async (f: () => Promise<unknown>) => {
  try {
    return { code: 200, value: await f() };
  } catch (err) {
    return isApiError(err) ? { code: err.code, message: err.message } : { code: -1, message: (err as Error).message };
  }
};
if (out.tokenPresent) {
  out.namespace = readFileSync(`${dir}/namespace`, 'utf8');
  const claims = JSON.parse(Buffer.from(readFileSync(`${dir}/token`, 'utf8').split('.')[1] ?? '', 'base64url').toString()) as { sub?: string };
  out.sub = claims.sub;
  out.caPresent = existsSync(`${dir}/ca.crt`);
  const client = ApiClient.fromKubeconfig();
  out.server = client.server.href;
  const list = await outcome(async () => ((await client.list(KINDS.Service, {})) as { items: { metadata: { name?: string } }[] }).items.map((s) => s.metadata.name));
  out.list = list;
  out.create = await outcome(() => client.create(KINDS.Service, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'from-pod', namespace: 'default' }, spec: { ports: [{ port: 80 }] } }));
  client.close();
}
console.log(JSON.stringify(out));
