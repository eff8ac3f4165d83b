import { cmdAdd } from './add.js';
import { cmdCheck } from './check.js';
import { parseConfig, peekVersion } from './config.js';
import type { Deps, Invocation } from './context.js';
import { cmdDel } from './del.js';
import { parseEnv } from './env.js';
import { CniCode, CniError, errorDocument } from './errors.js';
import { cmdGc } from './gc.js';
import { cmdStatus } from './status.js';
import { mark } from './trace.js';
import { negotiateVersion, requireVersionFor, SUPPORTED_VERSIONS } from './version.js';

/** One plugin run's inputs and output, injected so the protocol is testable without a process. */
export interface PluginIo {
  env: Readonly<Record<string, string | undefined>>;
  stdin: string;
  stdout(text: string): void;
}

const LATEST = SUPPORTED_VERSIONS[SUPPORTED_VERSIONS.length - 1]!;

/**
 * The CNI main: validates env and stdin, negotiates the version, runs one command and prints
 * its result or a spec error document. Returns the exit code (0 or 1). Nothing touches the
 * kernel before all input is validated.
 */
export async function dispatch(io: PluginIo, deps: () => Deps): Promise<number> {
  const peek = peekVersion(io.stdin);
  let answerVersion = peek.cniVersion && (SUPPORTED_VERSIONS as readonly string[]).includes(peek.cniVersion) ? peek.cniVersion : LATEST;
  try {
    const env = parseEnv(io.env);
    mark('env parsed');
    if (env.command === 'VERSION') {
      io.stdout(JSON.stringify({ cniVersion: answerVersion, supportedVersions: SUPPORTED_VERSIONS }) + '\n');
      return 0;
    }
    if (!io.stdin.trim()) throw new CniError(CniCode.Decode, 'no network configuration on stdin');
    const config = parseConfig(io.stdin);
    mark('config parsed');
    const version = negotiateVersion(config.cniVersion, config.cniVersions);
    answerVersion = version;
    requireVersionFor(env.command, version);
    const inv: Invocation = { env, config, version, stdin: io.stdin, deps: deps() };
    const out =
      env.command === 'ADD' ? await cmdAdd(inv)
      : env.command === 'DEL' ? await cmdDel(inv)
      : env.command === 'CHECK' ? await cmdCheck(inv)
      : env.command === 'GC' ? await cmdGc(inv)
      : await cmdStatus(inv);
    if (out) io.stdout(JSON.stringify(out) + '\n');
    return 0;
  } catch (err) {
    io.stdout(JSON.stringify(errorDocument(err, answerVersion)) + '\n');
    return 1;
  }
}
