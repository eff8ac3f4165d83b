import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { parseFlags, FlagError, flagTypes, helpText } from './flags.js';

const specs = {
  'data-dir': { help: 'where data lives', schema: z.string().default('/var/lib/sextant') },
  listen: { help: 'address', schema: flagTypes.hostPort().default('127.0.0.1:6443') },
  verbose: { help: 'more logs', schema: z.boolean().default(false), boolean: true },
  'sync-period': { help: 'period', schema: flagTypes.duration().prefault('30s') },
};

const cases: { name: string; argv: string[]; want?: Record<string, unknown>; problems?: string[] }[] = [
  { name: 'defaults', argv: [], want: { dataDir: '/var/lib/sextant', listen: '127.0.0.1:6443', verbose: false, syncPeriod: 30000 } },
  { name: 'space and equals forms', argv: ['--data-dir', '/tmp/x', '--listen=0.0.0.0:1', '--verbose', '--sync-period=250ms'], want: { dataDir: '/tmp/x', listen: '0.0.0.0:1', verbose: true, syncPeriod: 250 } },
  { name: 'every problem listed', argv: ['--nope', '--listen', 'bad', '--sync-period', '5 parsecs'], problems: ['--nope: unknown flag', '--listen: must be ADDRESS:PORT (e.g. 127.0.0.1:6443)', '--sync-period: must be a duration such as 500ms, 5s, 1m'] },
  { name: 'missing value', argv: ['--data-dir'], problems: ['--data-dir: needs a value'] },
];

for (const c of cases) {
  test(`parseFlags: ${c.name}`, () => {
    if (c.problems) {
      assert.throws(() => parseFlags(specs, c.argv), (err: unknown) => {
        assert.ok(err instanceof FlagError);
        assert.deepEqual(err.problems, c.problems);
        return true;
      });
    } else {
      assert.deepEqual(parseFlags(specs, c.argv).flags, c.want);
    }
  });
}

test('helpText lists flags with defaults', () => {
  const text = helpText('sextant x', 'Does x.', specs);
  assert.match(text, /--data-dir\s+where data lives \(default "\/var\/lib\/sextant"\)/);
  assert.match(text, /--sync-period\s+period \(default "30s"\)/);
  assert.match(text, /--help/);
});
