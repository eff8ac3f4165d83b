import { mark } from './trace.js';
import { readFileSync } from 'node:fs';
import { dispatch } from './dispatch.js';
import { realDeps } from './real-deps.js';

/** The `sextant` CNI binary: process env + stdin in, result or spec error on stdout. */
function readStdin(): string {
  try {
    return readFileSync(0, 'utf8');
  } catch {
    return '';
  }
}

mark('modules loaded');
dispatch({ env: process.env, stdin: readStdin(), stdout: (t) => process.stdout.write(t) }, realDeps).then(
  (code) => {
    mark('result written');
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stdout.write(JSON.stringify({ cniVersion: '1.1.0', code: 999, msg: `sextant: ${String(err)}` }) + '\n');
    process.exitCode = 1;
  },
);
