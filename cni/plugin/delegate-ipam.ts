import { CniCode, CniError } from './errors.js';
import type { Invocation } from './context.js';
import { normaliseResult, type CniResult } from './result.js';

/** True when `ipam.type` names another plugin rather than the built-in allocator. */
export const isDelegated = (inv: Invocation): boolean => !!inv.config.ipam?.type && inv.config.ipam.type !== 'sextant';

/** Finds the delegate on CNI_PATH as the spec prescribes (first directory that has it). */
function findPlugin(inv: Invocation, type: string): string {
  for (const dir of inv.env.path) {
    const p = `${dir}/${type}`;
    if (inv.deps.isExecutable(p)) return p;
  }
  throw new CniError(CniCode.InvalidConfig, `ipam plugin "${type}" not found on CNI_PATH`, `CNI_PATH=${inv.env.path.join(':')}`);
}

/**
 * Runs the IPAM plugin named by `ipam.type` with our environment (CNI_COMMAND replaced) and our
 * stdin, as libcni's delegate helpers do. A failure is re-raised with the delegate's own code
 * and message when it printed a spec error, else as code 102.
 */
export async function execDelegate(inv: Invocation, command: 'ADD' | 'DEL' | 'CHECK'): Promise<Omit<CniResult, 'cniVersion'> | undefined> {
  const type = inv.config.ipam!.type!;
  const path = findPlugin(inv, type);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(inv.deps.environ)) if (v !== undefined) env[k] = v;
  env.CNI_COMMAND = command;
  const out = await inv.deps.execPlugin(path, env, inv.stdin);
  if (out.code !== 0) {
    let doc: { code?: number; msg?: string; details?: string } = {};
    try {
      doc = JSON.parse(out.stdout) as typeof doc;
    } catch {
      /* not a spec error */
    }
    throw new CniError(
      typeof doc.code === 'number' ? doc.code : CniCode.DelegateFailed,
      `ipam plugin ${type} ${command} failed: ${doc.msg ?? (out.stderr.trim() || `exit ${out.code}`)}`,
      doc.details ?? '',
    );
  }
  if (command !== 'ADD') return undefined;
  try {
    return normaliseResult(JSON.parse(out.stdout));
  } catch (err) {
    throw new CniError(CniCode.DelegateFailed, `ipam plugin ${type} printed an unreadable result`, (err as Error).message);
  }
}
