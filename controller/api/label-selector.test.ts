import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SelectorError } from './errors.js';
import { formatLabelSelector, labelSelectorFromObject, matchesLabels, parseLabelSelector } from './label-selector.js';

const labels = { app: 'web', tier: 'front', version: '3', 'example.com/team': 'net' };

const matchCases: { sel: string; want: boolean }[] = [
  { sel: '', want: true },
  { sel: 'app=web', want: true },
  { sel: 'app==web', want: true },
  { sel: 'app!=web', want: false },
  { sel: 'app!=db', want: true },
  { sel: 'missing!=x', want: true },
  { sel: 'app=web,tier=back', want: false },
  { sel: 'app in (db, web)', want: true },
  { sel: 'app in (db)', want: false },
  { sel: 'app notin (db,cache)', want: true },
  { sel: 'app notin (web)', want: false },
  { sel: 'missing notin (web)', want: true },
  { sel: 'tier', want: true },
  { sel: '!tier', want: false },
  { sel: '!canary', want: true },
  { sel: 'example.com/team=net', want: true },
  { sel: 'version>2', want: true },
  { sel: 'version<3', want: false },
  { sel: ' app = web , tier in ( front ) ', want: true },
];
for (const c of matchCases) {
  test(`label selector "${c.sel}" → ${c.want}`, () => assert.equal(matchesLabels(parseLabelSelector(c.sel), labels), c.want));
}

const errorCases: { sel: string; message: RegExp }[] = [
  { sel: 'app=web,', message: /end of input after ','/ },
  { sel: 'app in web', message: /expected '\(' after "app in"/ },
  { sel: 'app in (a b)', message: /expected ',' or '\)'/ },
  { sel: 'app in (a', message: /found end of input, expected ',' or '\)'/ },
  { sel: '=web', message: /found '=', expected a label key/ },
  { sel: 'app=bad value', message: /found 'value', expected ','/ },
  { sel: 'Bad Key=x', message: /found 'Key'/ },
  { sel: 'app=-x', message: /invalid label value "-x"/ },
  { sel: 'a/b/c=x', message: /invalid label key "a\/b\/c"/ },
  { sel: 'version>x', message: /must be an integer/ },
];
for (const c of errorCases) {
  test(`label selector "${c.sel}" is rejected naming the problem`, () => {
    assert.throws(() => parseLabelSelector(c.sel), (err: unknown) => err instanceof SelectorError && c.message.test(err.message));
  });
}

test('labelSelectorFromObject: matchLabels and matchExpressions', () => {
  const sel = labelSelectorFromObject({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'back'] }, { key: 'canary', operator: 'DoesNotExist' }] });
  assert.equal(matchesLabels(sel, labels), true);
  assert.equal(matchesLabels(sel, { ...labels, canary: 'yes' }), false);
  assert.equal(formatLabelSelector(sel), 'app=web,tier in (front,back),!canary');
  assert.deepEqual(parseLabelSelector(formatLabelSelector(sel)), sel);
});

test('labelSelectorFromObject: undefined selects nothing, {} selects everything', () => {
  assert.equal(matchesLabels(labelSelectorFromObject(undefined), labels), false);
  assert.equal(matchesLabels(labelSelectorFromObject({}), {}), true);
});

test('labelSelectorFromObject: bad operator and missing values are named', () => {
  assert.throws(() => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'Equals', values: ['x'] }] }), /matchExpressions\[0\]\.operator: "Equals" is not a valid selector operator/);
  assert.throws(() => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'In' }] }), /matchExpressions\[0\]\.values: must be specified/);
});
