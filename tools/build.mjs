// Bundles the TypeScript sources into the executables Sextant ships (esbuild).
// dist/sextant.mjs — the `sextant` command; each entry of `bundles` is one self-contained file.
import { build } from 'esbuild';
import { chmodSync, mkdirSync, existsSync } from 'node:fs';

/** Native modules stay outside the bundle; node_modules resolves them at run time. */
const external = ['better-sqlite3', 'netlink', 'etcd3', 'cpu-features', 'ssh2'];

const bundles = [
  { entry: 'cli/main.ts', out: 'dist/sextant.mjs', format: 'esm' },
];
if (existsSync('cni/plugin/main.ts')) {
  bundles.push({ entry: 'cni/plugin/main.ts', out: 'dist/cni/sextant', format: 'cjs' });
}

mkdirSync('dist', { recursive: true });
await Promise.all(
  bundles.map(async (b) => {
    await build({
      entryPoints: [b.entry],
      outfile: b.out,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: b.format,
      external,
      sourcemap: false,
      minify: false,
      legalComments: 'none',
      banner: {
        js:
          b.format === 'esm'
            ? "#!/usr/bin/env node\nimport { createRequire as __sxCreateRequire } from 'node:module';\nconst require = __sxCreateRequire(import.meta.url);"
            : '#!/usr/bin/env node',
      },
      logLevel: 'warning',
    });
    chmodSync(b.out, 0o755);
  }),
);
