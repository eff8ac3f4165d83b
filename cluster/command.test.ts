import assert from 'node:assert/strict';
import { test } from 'node:test';
import { splitExecArgs } from './command.js';

test('splitExecArgs: -n before or after the host, the rest is the command', async (t) => {
  const cases = [
    { name: 'host only', args: ['outside', 'nc', '-v', '1.2.3.4', '80'], ns: undefined, want: { namespace: 'default', target: 'outside', argv: ['nc', '-v', '1.2.3.4', '80'] } },
    { name: '-n first', args: ['-n', 'kube-system', 'pod/dns', 'getent', 'hosts', 'web'], ns: undefined, want: { namespace: 'kube-system', target: 'pod/dns', argv: ['getent', 'hosts', 'web'] } },
    { name: '-n after host', args: ['pod/c', '-n', 'apps', 'cat', '/etc/resolv.conf'], ns: undefined, want: { namespace: 'apps', target: 'pod/c', argv: ['cat', '/etc/resolv.conf'] } },
    { name: 'command keeps its own -n', args: ['outside', 'nc', '-n', 'x'], ns: 'z', want: { namespace: 'z', target: 'outside', argv: ['nc', '-n', 'x'] } },
    { name: '--namespace flag', args: ['pod/a', 'true'], ns: 'team', want: { namespace: 'team', target: 'pod/a', argv: ['true'] } },
  ];
  for (const c of cases) await t.test(c.name, () => assert.deepEqual(splitExecArgs(c.args, c.ns), c.want));
});
