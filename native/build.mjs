// Compiles the CNI plugin's native helper (native/sxsys.c: setns, flock, a NETLINK_ROUTE socket)
// into a stripped Node-API shared object. Plain `cc` with Node's own headers (the same ones
// node-gyp uses); Node-API keeps the binary valid across Node versions. The CNI bundle embeds
// the result (tools/build.mjs), so the plugin stays one file.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Node's include directory: beside the running binary's prefix, else /usr/include/node. */
function nodeIncludeDir() {
  const candidates = [join(dirname(dirname(process.execPath)), 'include', 'node'), '/usr/include/node', '/usr/local/include/node'];
  const hit = candidates.find((d) => existsSync(join(d, 'node_api.h')));
  if (!hit) throw new Error(`node_api.h not found in ${candidates.join(', ')}: install Node's headers`);
  return hit;
}

/** Builds `out` from native/sxsys.c and returns its bytes. */
export function buildNativeHelper(out) {
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  execFileSync(
    process.env.CC ?? 'cc',
    ['-O2', '-Wall', '-Wextra', '-Werror', '-shared', '-fPIC', '-s', '-DNAPI_VERSION=8', `-I${nodeIncludeDir()}`, '-o', tmp, 'native/sxsys.c'],
    { stdio: 'inherit' },
  );
  renameSync(tmp, out);
  return readFileSync(out);
}
