import { copyFileSync, chmodSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { defineCommand } from '../../daemon/command.js';
import { DEFAULT_SUBNET_FILE } from '../subnet-file.js';

/**
 * The example conflist: sextant first (bridge + veth + IPAM from the node subnet file), then
 * the reference portmap for hostPort. cniVersion 1.0.0 because the reference plugins shipped
 * by Debian stop there.
 */
export function exampleConflist(): string {
  return (
    JSON.stringify(
      {
        cniVersion: '1.0.0',
        name: 'sextant',
        plugins: [
          { type: 'sextant', bridge: 'sx0', isGateway: true, isDefaultGateway: true, hairpinMode: true, subnetFile: DEFAULT_SUBNET_FILE, ipam: {} },
          { type: 'portmap', capabilities: { portMappings: true } },
        ],
      },
      null,
      2,
    ) + '\n'
  );
}

/** Where the built plugin is: beside dist/sextant.mjs, or dist/ of the source tree. */
function findPluginBinary(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(dirname(process.argv[1] ?? ''), 'cni/sextant'), resolve(here, 'cni/sextant'), resolve(here, '../../dist/cni/sextant')];
  return candidates.find((p) => existsSync(p));
}

/** Copies atomically (temp file + rename) so a runtime never executes a half-written plugin. */
function installFile(dst: string, write: (tmp: string) => void, mode: number): void {
  mkdirSync(dirname(dst), { recursive: true });
  const tmp = `${dst}.tmp-${process.pid}`;
  write(tmp);
  chmodSync(tmp, mode);
  renameSync(tmp, dst);
}

export default defineCommand({
  name: 'install-cni',
  usage: 'sextant install-cni [--bin-dir D] [--conf-dir D]',
  summary: 'Install the sextant CNI plugin binary and an example conflist.',
  flags: {
    'bin-dir': { help: 'directory runtimes search for CNI plugins', schema: z.string().min(1).default('/opt/cni/bin') },
    'conf-dir': { help: 'directory of CNI network configurations', schema: z.string().min(1).default('/etc/cni/net.d') },
    source: { help: 'plugin binary to install (default: the one built beside this command)', schema: z.string().optional() },
  },
  async run(flags) {
    const src = flags.source ?? findPluginBinary();
    if (!src || !existsSync(src)) {
      process.stderr.write('sextant install-cni: plugin binary not found; run `npm run build` (dist/cni/sextant) or pass --source\n');
      return 1;
    }
    const bin = join(flags.binDir, 'sextant');
    const conf = join(flags.confDir, '10-sextant.conflist');
    installFile(bin, (tmp) => copyFileSync(src, tmp), 0o755);
    installFile(conf, (tmp) => writeFileSync(tmp, exampleConflist()), 0o644);
    process.stdout.write(`installed ${bin}\ninstalled ${conf}\n`);
    return 0;
  },
});
