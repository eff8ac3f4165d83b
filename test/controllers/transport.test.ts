/**
 * How `sextant server`'s own controllers reach it: by default from a worker thread through the
 * in-process transport (no TCP connection of theirs to the listener, yet endpoints are programmed
 * through the same authenticated, authorized pipeline), with `--controllers-transport=in-process`
 * the same from the server's own thread, and with `--controllers-transport=loopback` over HTTPS
 * to the listen address, as a separate controller manager would.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ApiClient } from '../../controller/api/client.js';
import { KINDS, type EndpointSlice, type Endpoints, type Pod, type Service } from '../../controller/api/index.js';
import { startTestServer } from '../server/harness.js';
import { eventually } from './in-process.js';

/** Established TCP connections whose local end is `port` (the server's side of its clients). */
function establishedTo(port: number): number {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  let n = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 3 && f[1]!.endsWith(`:${hex}`) && f[3] === '01') n++;
    }
  }
  return n;
}

async function programEndpoints(client: ApiClient, name: string): Promise<void> {
  await client.create<Service>(KINDS.Service, {
    apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' },
    spec: { selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  });
  const pod = await client.create<Pod>(KINDS.Pod, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: `${name}-0`, namespace: 'default', labels: { app: name } },
    spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 8080 }] }] },
  });
  await client.updateStatus<Pod>(KINDS.Pod, { ...pod, status: { phase: 'Running', podIP: '10.244.0.7', podIPs: [{ ip: '10.244.0.7' }], conditions: [{ type: 'Ready', status: 'True' }] } });
  await eventually('a ready endpoint in the slice', async () => {
    const l = await client.list<EndpointSlice>(KINDS.EndpointSlice, { namespace: 'default', labelSelector: `kubernetes.io/service-name=${name}` });
    return l.items.some((s) => s.endpoints.some((e) => e.addresses[0] === '10.244.0.7' && e.conditions?.ready === true)) || undefined;
  });
  await eventually('the legacy Endpoints', async () => {
    const ep = await client.get<Endpoints>(KINDS.Endpoints, 'default', name);
    return ep.subsets?.[0]?.addresses?.[0]?.ip === '10.244.0.7' || undefined;
  });
}

/** Programs endpoints with the server's controllers on `args`, and checks none of them used TCP. */
async function noTcpOfTheirOwn(args: string[]): Promise<void> {
  const s = await startTestServer(['--controllers=endpointslice,service-allocation', ...args]);
  try {
    const port = Number(new URL(s.url).port);
    const client = ApiClient.fromKubeconfig(s.kubeconfig);
    await programEndpoints(client, 'web');
    client.close();
    // the controller's informers hold watch streams all the time; over TCP they would show here
    await eventually('no established connection to the server', async () => establishedTo(port) === 0 || undefined);
  } finally {
    await s.cleanup();
  }
}

test('default: the controllers run in a worker thread and program endpoints through the in-process transport, with no TCP connection of their own', async () => {
  await noTcpOfTheirOwn([]);
});

test('--controllers-transport=in-process: the controllers run on the server\'s thread, also with no TCP connection of their own', async () => {
  await noTcpOfTheirOwn(['--controllers-transport=in-process']);
});

test('--controllers-transport=loopback: the controllers connect over HTTPS to the listener and program endpoints', async () => {
  const s = await startTestServer(['--controllers=endpointslice,service-allocation', '--controllers-transport=loopback']);
  try {
    const port = Number(new URL(s.url).port);
    const client = ApiClient.fromKubeconfig(s.kubeconfig);
    await programEndpoints(client, 'web');
    client.close();
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(establishedTo(port) > 0, 'the controllers\' watch streams are TCP connections');
  } finally {
    await s.cleanup();
  }
});
