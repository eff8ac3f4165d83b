/**
 * Member choice on a real 3-member etcd (etcd-kv-client.ts), counted by each member's own gRPC
 * counters: by default every unary call goes to the raft leader, and when the leader is killed
 * every write still succeeds at its first call (the client waits for the new leader instead of
 * sending proposals through a follower to the dead one); with `preferredEndpoint` every call goes
 * to that member, and when it is killed the others answer; a preferred endpoint outside the
 * endpoints is BadRequest.
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

/** Index of a member that is not the leader (or, with `leader`, of the leader). */
async function aFollower(leaderWanted = false): Promise<number> {
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
  return ids.findIndex((id) => (id === leader) === leaderWanted);
}

test('by default calls go to the leader; when it is killed, every write still succeeds at its first call', async () => {
  const l = await aFollower(true);
  const s = await etcd.openStore('sxlead');
  await s.get('/core/pods/a/none');
  // The leader is looked up in the background when the store opens.
  const deadline = Date.now() + 5000;
  for (;;) {
    const before = await txnsPerMember();
    await s.create(`/core/pods/a/probe-${Date.now()}`, pod('probe'));
    const after = await txnsPerMember();
    if (after[l]! - before[l]! === 1) break;
    assert.ok(Date.now() < deadline, 'creates reach the leader within 5 s of opening the store');
    await new Promise((r) => setTimeout(r, 100));
  }
  const before = await txnsPerMember();
  for (let i = 0; i < 30; i++) await s.create(`/core/pods/a/l${i}`, pod(`l${i}`));
  const after = await txnsPerMember();
  assert.deepEqual(
    after.map((n, i) => n - before[i]!),
    [0, 1, 2].map((i) => (i === l ? 30 : 0)),
    `every create is one Txn on the leader, member ${l}`,
  );

  await etcd.cluster().stop(l);
  for (let i = 30; i < 40; i++) await s.create(`/core/pods/a/l${i}`, pod(`l${i}`));
  const names = (await s.list('/core/pods/a/')).items.map((o) => String(o.metadata?.name)).filter((n) => /^l\d+$/.test(n));
  assert.equal(names.length, 40, 'every write made before and after the kill is there');
  const newLeader = await (async () => {
    const others = etcd.cluster().endpoints.filter((_, i) => i !== l);
    const c = new Etcd3({ hosts: others });
    try {
      return String((await c.maintenance.status()).leader);
    } finally {
      c.close();
    }
  })();
  assert.ok(newLeader !== '0', 'the others elected a leader');
  await etcd.cluster().start(l);
  await etcd.cluster().waitHealthy(l);
});

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
