import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { runTool, ToolError } from './exec-tool.js';

/** A child that exits before reading its stdin must be reported by its exit status, not as EPIPE. */
describe('runTool: a child that exits without reading stdin', () => {
  // More than a pipe buffer (64 KiB), so the write cannot complete before the child exits.
  const input = 'x'.repeat(1 << 20);
  for (const blocking of [false, true]) {
    it(`rejects with the tool's exit status and stderr (${blocking ? 'spawnSync' : 'async'})`, async () => {
      await assert.rejects(runTool('sh', ['-c', 'echo "prelude failed" >&2; exit 3'], input, { blocking }), (err: unknown) => {
        assert.ok(err instanceof ToolError, `expected a ToolError, got ${String(err)}`);
        assert.equal(err.exitCode, 3);
        assert.match(err.stderr, /prelude failed/);
        return true;
      });
    });
    it(`succeeds when the tool exits 0 without reading (${blocking ? 'spawnSync' : 'async'})`, async () => {
      const out = await runTool('sh', ['-c', 'echo done'], input, { blocking });
      assert.equal(out.stdout.trim(), 'done');
    });
  }
});
