import type { Invocation } from './context.js';
import { teardown } from './teardown.js';

/**
 * DEL: idempotent. Works with CNI_NETNS empty or already deleted, the veth or the IP already
 * gone, or a second time in a row; it releases whatever remains and succeeds.
 */
export async function cmdDel(inv: Invocation): Promise<undefined> {
  await teardown(inv);
  return undefined;
}
