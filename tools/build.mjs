// Bundles the TypeScript sources into the executables Sextant ships (esbuild).
// dist/sextant.mjs — the `sextant` command; each entry of `bundles` is one self-contained file.
import { build } from 'esbuild';
import { chmodSync, mkdirSync, existsSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { addCodeCache } from './cni-code-cache.mjs';
import { buildNativeHelper } from '../native/build.mjs';

/** Native modules stay outside the bundle; node_modules resolves them at run time. */
const external = ['better-sqlite3', 'netlink', 'etcd3', 'cpu-features', 'ssh2'];

const bundles = [
  { entry: 'cli/main.ts', out: 'dist/sextant.mjs', format: 'esm' },
  // `sextant server` runs its controllers in a worker thread started from this file, beside sextant.mjs.
  { entry: 'controller/controllers/worker-main.ts', out: 'dist/controllers-worker.mjs', format: 'esm' },
];
if (existsSync('cni/plugin/main.ts')) {
  // The CNI binary starts once per pod: ESM-first resolution lets esbuild tree-shake zod/mini,
  // and minifying keeps the single file small (start-up is parse time).
  // It carries the native helper (native/sxsys.c) as base64; native/sxsys.ts loads it.
  bundles.push({
    entry: 'cni/plugin/main.ts', out: 'dist/cni/sextant', format: 'cjs', mainFields: ['module', 'main'], conditions: ['import'], minify: true, codeCache: true,
    // cni/lazy-schemas.ts reads import.meta only where there is no CommonJS `require`, never here.
    logOverride: { 'empty-import-meta': 'silent' },
    define: { SX_NATIVE_SXSYS: JSON.stringify(buildNativeHelper('dist/native/sxsys.node').toString('base64')) },
  });
}

mkdirSync('dist', { recursive: true });
if (existsSync('cni/plugin/main.ts')) {
  // The extensionless CJS plugin would be read as ESM under this repo's "type": "module".
  mkdirSync('dist/cni', { recursive: true });
  writeFileSync('dist/cni/package.json.tmp', '{ "type": "commonjs" }\n');
  renameSync('dist/cni/package.json.tmp', 'dist/cni/package.json');
}
await Promise.all(
  bundles.map(async (b) => {
    // Written beside the target and renamed over it: a process starting from dist/ while a
    // rebuild runs (tests do both) sees the old file or the new one, never half of one.
    const tmp = `${b.out}.tmp-${process.pid}`;
    await build({
      entryPoints: [b.entry],
      outfile: tmp,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: b.format,
      external,
      sourcemap: false,
      minify: b.minify ?? false,
      ...(b.mainFields ? { mainFields: b.mainFields, conditions: b.conditions } : {}),
      ...(b.define ? { define: b.define } : {}),
      ...(b.logOverride ? { logOverride: b.logOverride } : {}),
      legalComments: 'none',
      banner: {
        js:
          b.format === 'esm'
            ? "#!/usr/bin/env node\nimport { createRequire as __sxCreateRequire } from 'node:module';\nconst require = __sxCreateRequire(import.meta.url);"
            : '#!/usr/bin/env node',
      },
      logLevel: 'warning',
    });
    asciiOnly(tmp);
    // The CNI binary carries a V8 code cache (compile time per pod); see tools/cni-code-cache.mjs.
    if (b.codeCache && !process.env.SX_NO_CODE_CACHE) addCodeCache(tmp);
    chmodSync(tmp, 0o755);
    renameSync(tmp, b.out);
  }),
);

/**
 * esbuild escapes non-ASCII characters in strings and identifiers but keeps a few comments of
 * bundled libraries (zod's locales) as they are. One character above U+00FF makes V8 hold the
 * whole bundle's source as a two-byte string: 4.6 MB instead of 2.3 MB in every process. Such
 * characters are left only in comments, where a \u escape means the same; anything else would be
 * a new esbuild behaviour, so the build fails rather than guess.
 */
function asciiOnly(file) {
  const src = readFileSync(file, 'utf8');
  if (/^[\x00-\x7f]*$/.test(src)) return;
  const lines = src.split('\n');
  for (const [i, line] of lines.entries()) {
    const at = line.search(/[^\x00-\x7f]/);
    if (at < 0) continue;
    const comment = line.indexOf('//');
    if (!/^\s*(\/\/|\/?\*)/.test(line) && !(comment >= 0 && comment < at && !/['"`]/.test(line.slice(0, comment))))
      throw new Error(`${file}:${i + 1}: non-ASCII character outside a comment: ${line.trim().slice(0, 120)}`);
    lines[i] = line.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  }
  writeFileSync(file, lines.join('\n'));
}
