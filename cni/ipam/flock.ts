import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { toolPath } from '../../kernel/exec-tool.js';

/**
 * An exclusive flock(2) on `path`, the same lock host-local takes on `<dataDir>/<network>/lock`,
 * so both plugins exclude each other. Node has no flock, so util-linux `flock -x 3` is run on a
 * descriptor we open and pass as its fd 3: a flock belongs to the open file description, which
 * we share, so the lock stays held after the helper exits and is released when we close the
 * descriptor (or die). Returns the release function.
 */
export async function lockFile(path: string, timeoutSeconds = 30): Promise<() => void> {
  const fd = openSync(path, 'a', 0o644);
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(toolPath('flock'), ['-x', '-w', String(timeoutSeconds), '3'], { stdio: ['ignore', 'ignore', 'pipe', fd] });
      let err = '';
      child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`flock ${path}: ${err.trim() || `exit ${code}`}`))));
    });
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  let released = false;
  return () => {
    if (!released) closeSync(fd);
    released = true;
  };
}
