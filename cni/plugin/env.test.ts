import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { CniError } from './errors.js';
import { checkEnvValue, checkWithSchema, QUICK, type EnvValueKind } from './env.js';

/** Strings around every rule's edge: lengths, leading characters, separators, dots, whitespace. */
const SAMPLES = [
  '', 'a', 'A9', '9a', '_a', '.a', '-a', 'a-b', 'a_b', 'a.b', 'a/b', 'a:b', 'a b', 'a\tb', '.', '..', 'eth0', 'net1',
  'x'.repeat(15), 'x'.repeat(16), 'x'.repeat(255), 'x'.repeat(256), '/run/netns/sx-pod', 'relative/netns', '/', 'é', 'a\nb',
];

describe('CNI environment values: the quick checks agree with the schemas', () => {
  for (const kind of Object.keys(QUICK) as EnvValueKind[])
    it(`${kind}: confirmed exactly when the schema accepts; the schema's message otherwise`, () => {
      let accepted = 0;
      for (const s of SAMPLES) {
        let schemaOk = true;
        let message = '';
        try {
          assert.equal(checkWithSchema(kind, 'CNI_X', s), s);
        } catch (err) {
          assert.ok(err instanceof CniError, String(err));
          schemaOk = false;
          message = err.message;
        }
        assert.equal(QUICK[kind](s), schemaOk, `${kind} ${JSON.stringify(s)}: quick ${QUICK[kind](s)}, schema ${schemaOk} ${message}`);
        if (!schemaOk) {
          assert.match(message, /^CNI_X: must/);
          assert.throws(() => checkEnvValue(kind, 'CNI_X', s), (e: unknown) => e instanceof CniError && e.message === message);
        }
        else accepted++;
      }
      assert.ok(accepted > 0 && accepted < SAMPLES.length);
    });
});
