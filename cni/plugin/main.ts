import { mark } from './trace.js';
import { readFileSync, writeSync } from 'node:fs';
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

/**
 * Writes straight to fd 1: touching process.stdout builds a stream around the pipe, which costs
 * ~4 ms of CPU per run. A runtime hands over a blocking pipe; should a write still come up short
 * (EAGAIN on a non-blocking one), the rest goes through process.stdout.
 */
let streamed = false;
function writeOut(text: string): void {
  const buf = Buffer.from(text);
  let off = 0;
  try {
    while (off < buf.length) off += writeSync(1, buf, off);
  } catch {
    streamed = true;
    process.stdout.write(buf.subarray(off));
  }
}

mark('modules loaded');
dispatch({ env: process.env, stdin: readStdin(), stdout: writeOut }, realDeps).then(
  (code) => {
    mark('result written');
    // Everything is done and written (synchronously): exit now instead of tearing the heap
    // down first, as a natural end of the event loop would. Output that went through the
    // stream is left to drain by the natural end.
    if (streamed) process.exitCode = code;
    else process.exit(code);
  },
  (err: unknown) => {
    writeOut(JSON.stringify({ cniVersion: '1.1.0', code: 999, msg: `sextant: ${String(err)}` }) + '\n');
    process.exitCode = 1;
  },
);
