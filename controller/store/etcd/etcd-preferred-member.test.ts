/**
 * The preferred member on a real 3-member etcd: every unary call of the store goes to it (counted
 * by each member's own gRPC counters); when it is killed, writes and reads continue through the
 * other members; a preferred endpoint outside the endpoints is BadRequest. The preferred member is
 * a follower: killing the leader adds an election (etcd then times a pending proposal out after
 * 5 s + 2 election timeouts), which is the faults suite's subject, not this one's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { isStoreError } from '../errors.js';
import { etcdForTestFile } from './etcd-cluster.test-helper.js';
import { openEtcdStore } from './index.js';

const etcd = etcdForTestFile(3);

/** Txn calls each member answered (its own counter, from /metrics). */
async function txnsPerMember(): Promise<number[]> {
  return Promise.all(
    etcd.cluster().endpoints.map(async (u) => {
      const text = await (await fetch(`${u}/metrics`)).text();
      let n = 0;
      for (const m of text.matchAll(/^grpc_server_handled_total\{[^}]*grpc_method="Txn"[^}]*\} (\d+)/gm)) n += Number(m[1]);
      return n;
    }),
  );
}

const pod = (name: string) => ({ kind: 'Pod', metadata: { name, namespace: 'a' } });

/** Index of a member that is not the leader. */
async function aFollower(): Promise<number> {
  const ids: string[] = [];
  let leader = '';
  for (const e of etcd.cluster().endpoints) {
    const c = new Etcd3({ hosts: e });
    try {
      const st = await c.maintenance.status();
      ids.push(String(st.header.member_id));
      leader = String(st.leader);
    } finally {
      c.close();
    }
  }
  return ids.findIndex((id) => id !== leader);
}

test('unary calls go to the preferred member; when it dies the others answer', async () => {
  const f = await aFollower();
  const s = await etcd.openStore('sxpref', { preferredEndpoint: etcd.cluster().endpoints[f]! });
  const before = await txnsPerMember();
  for (let i = 0; i < 30; i++) await s.create(`/core/pods/a/p${i}`, pod(`p${i}`));
  const after = await txnsPerMember();
  assert.deepEqual(
    after.map((n, i) => n - before[i]!),
    [0, 1, 2].map((i) => (i === f ? 30 : 0)),
    `every create is one Txn on member ${f}`,
  );

  await etcd.cluster().stop(f);
  for (let i = 30; i < 60; i++) await s.create(`/core/pods/a/p${i}`, pod(`p${i}`));
  const list = await s.list('/core/pods/a/');
  assert.equal(list.items.length, 60, 'every write made before and after the kill is there');
  await etcd.cluster().start(f);
  await etcd.cluster().waitHealthy(f);
});

test('a preferred endpoint that is not one of the endpoints is BadRequest', async () => {
  await assert.rejects(
    openEtcdStore({ endpoints: etcd.cluster().endpoints, preferredEndpoint: 'http://127.0.0.1:1' }),
    (e: unknown) => isStoreError(e, 'BadRequest') && /preferredEndpoint/.test((e as Error).message),
  );
});
