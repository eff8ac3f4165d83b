import type { Invocation } from './context.js';
import { isDelegated } from './delegate-ipam.js';
import { CniCode, CniError } from './errors.js';
import { builtinIpam } from './settings.js';

/**
 * STATUS: error 50 when an ADD could not succeed now — the plugin cannot reach the kernel (its
 * native helper does not load), the subnet file is missing or invalid (when ranges come from it),
 * the ranges are unusable, or every address is taken.
 */
export async function cmdStatus(inv: Invocation): Promise<undefined> {
  try {
    inv.deps.kernelAccess();
  } catch (err) {
    throw new CniError(CniCode.NotAvailable, `not available: ${(err as Error).message}`, err instanceof CniError ? err.details : '');
  }
  if (isDelegated(inv)) return undefined;
  let free: number;
  try {
    free = builtinIpam(inv, true).freeCount();
  } catch (err) {
    throw new CniError(CniCode.NotAvailable, `not available: ${(err as Error).message}`, err instanceof CniError ? err.details : '');
  }
  if (free === 0) throw new CniError(CniCode.NotAvailable, 'not available: no addresses available in the range');
  return undefined;
}
