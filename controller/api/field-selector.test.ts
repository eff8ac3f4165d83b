import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SelectorError } from './errors.js';
import { formatFieldSelector, matchesFields, parseFieldSelector } from './field-selector.js';

const pod = { metadata: { name: 'web', namespace: 'default' }, spec: { nodeName: 'n1', hostNetwork: false }, status: { phase: 'Running' } };
const event = { metadata: { name: 'e', namespace: 'default' }, involvedObject: { kind: 'Service', name: 'x', namespace: 'default', uid: 'u1' }, source: { component: 'kubelet' }, type: 'Normal' };

const cases: { name: string; kind: string; sel: string; obj: unknown; want: boolean }[] = [
  { name: 'empty', kind: 'Pod', sel: '', obj: pod, want: true },
  { name: 'metadata.name', kind: 'Pod', sel: 'metadata.name=web', obj: pod, want: true },
  { name: 'double equals', kind: 'Pod', sel: 'metadata.name==db', obj: pod, want: false },
  { name: 'node and phase', kind: 'Pod', sel: 'spec.nodeName=n1,status.phase!=Succeeded', obj: pod, want: true },
  { name: 'unscheduled pods', kind: 'Pod', sel: 'spec.nodeName=', obj: { metadata: { name: 'p' }, spec: {} }, want: true },
  { name: 'hostNetwork false when missing', kind: 'Pod', sel: 'spec.hostNetwork=false', obj: { metadata: {}, spec: {} }, want: true },
  { name: 'kubectl describe events', kind: 'Event', sel: 'involvedObject.name=x,involvedObject.namespace=default,involvedObject.kind=Service,involvedObject.uid=u1', obj: event, want: true },
  { name: 'event uid mismatch', kind: 'Event', sel: 'involvedObject.uid=u2', obj: event, want: false },
  { name: 'event source', kind: 'Event', sel: 'source=kubelet', obj: event, want: true },
  { name: 'escaped value', kind: 'Pod', sel: 'metadata.name=a\\,b', obj: { metadata: { name: 'a,b' } }, want: true },
];
for (const c of cases) {
  test(`field selector ${c.name}`, () => assert.equal(matchesFields(parseFieldSelector(c.sel, c.kind), c.obj), c.want));
}

const errorCases: { sel: string; kind?: string; message: RegExp }[] = [
  { sel: 'spec.nodeName', message: /expected FIELD=VALUE/ },
  { sel: '=x', message: /the field is empty/ },
  { sel: 'spec.bogus=x', kind: 'Pod', message: /"spec.bogus" is not a known field selector for Pod/ },
  { sel: 'status.phase=Running', kind: 'Service', message: /not a known field selector for Service: only "metadata.name"/ },
  { sel: 'metadata.name=a\\x', message: /invalid escape/ },
];
for (const c of errorCases) {
  test(`field selector "${c.sel}" is rejected`, () => {
    assert.throws(() => parseFieldSelector(c.sel, c.kind), (err: unknown) => err instanceof SelectorError && c.message.test(err.message));
  });
}

test('formatFieldSelector round-trips escapes', () => {
  const sel = parseFieldSelector('metadata.name=a\\=b,status.phase!=Running');
  assert.equal(formatFieldSelector(sel), 'metadata.name=a\\=b,status.phase!=Running');
  assert.deepEqual(parseFieldSelector(formatFieldSelector(sel)), sel);
});
