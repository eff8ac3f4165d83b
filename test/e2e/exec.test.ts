/**
 * `kubectl exec` in a real local cluster (`sextant cluster up --nodes 2`: the control plane and one worker): the real kubectl →
 * loopback forwarder → the API server's unix socket → the node agent's mTLS endpoint → the command
 * in the pod, with the pod's mount namespace (its resolv.conf and service-account token) and the
 * container's environment; the exit code and stdin come through.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { eventually, TestCluster, type Run } from './harness.js';

const c = new TestCluster();

function kubectl(args: string[], input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile('kubectl', args, { env: { ...process.env, HOME: c.home, KUBECONFIG: c.kubeconfig }, timeout: 60_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0, stdout, stderr });
    });
    child.stdin?.end(input ?? '');
  });
}

const POD = `apiVersion: v1
kind: Pod
metadata: { name: shell, namespace: default }
spec:
  containers:
  - name: main
    image: busybox
    command: [sleep, "3600"]
    env:
    - { name: GREETING, value: hello }
`;

before(async () => {
  await c.up(2);
  await c.kubectl(['apply', '-f', '-'], POD);
  await eventually('pod shell Ready', 90_000, async () => {
    const p = JSON.parse((await kubectl(['get', 'pod', 'shell', '-o', 'json'])).stdout || '{}') as { status?: { conditions?: { type: string; status: string }[] } };
    return p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') ? true : undefined;
  });
});

after(async () => {
  await c.cleanup();
});

describe('kubectl exec in a cluster', { timeout: 240_000 }, () => {
  it("prints the output and exits with the command's code; stdin with -i", async () => {
    const r = await kubectl(['exec', 'shell', '--', 'sh', '-c', 'echo hi; exit 3']);
    assert.equal(r.stdout, 'hi\n', r.stderr);
    assert.equal(r.code, 3, r.stderr);
    const i = await kubectl(['exec', '-i', 'shell', '--', 'cat'], 'x\n');
    assert.equal(i.code, 0, i.stderr);
    assert.equal(i.stdout, 'x\n');
  });

  it("sees the pod's files and the container's environment", async () => {
    const r = await kubectl(['exec', 'shell', '--', 'sh', '-c', 'echo "$GREETING $HOSTNAME"; cat /var/run/secrets/kubernetes.io/serviceaccount/namespace; echo; grep -c "^search default.svc.cluster.local" /etc/resolv.conf']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hello shell\ndefault\n1\n');
  });
});
