import { createRequire } from 'node:module';

declare const require: ((id: string) => unknown) | undefined;

/**
 * The plugin's zod schemas (schemas.ts), loaded on first use. The CNI plugin runs once per pod and
 * its usual path validates by hand (config-fast.ts and the quick checks of the environment and
 * the subnet file); zod only explains what is wrong with bad input. A static import would
 * evaluate zod's module graph on every run; a literal `require` lets esbuild bundle schemas.ts
 * (and the parts of zod it uses) as lazily initialised modules instead. Outside a CommonJS
 * bundle (ESM under tsx) there is no `require`, so one is made.
 */
export function cniSchemas(): typeof import('./schemas.js') {
  return (typeof require === 'function' ? require('./schemas.js') : createRequire(import.meta.url)('./schemas.js')) as typeof import('./schemas.js');
}
