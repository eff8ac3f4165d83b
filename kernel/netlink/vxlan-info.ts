import { runTool, ToolError } from '../exec-tool.js';
import { classifyIpError } from './ip-command.js';

/** The VXLAN attributes of a link (`ip -d link show`'s `info_data`). */
export interface VxlanAttributes {
  vni: number;
  /** UDP destination port (8472 when created with port 0). */
  port: number;
  local: string | undefined;
  learning: boolean;
}

/**
 * Reads the VXLAN attributes of link `name` in `netnsPath` (undefined: the caller's namespace);
 * undefined when the link does not exist or is not a VXLAN device. The `Netlink` interface's
 * LinkInfo has no kind-specific data, and the overlay must notice a device whose VNI, port or
 * local address no longer match (it then recreates it).
 */
export async function readVxlanAttributes(netnsPath: string | undefined, name: string): Promise<VxlanAttributes | undefined> {
  const args = ['-j', '-d', 'link', 'show', 'dev', name];
  let stdout: string;
  try {
    ({ stdout } = netnsPath ? await runTool('nsenter', [`--net=${netnsPath}`, '--', 'ip', ...args]) : await runTool('ip', args));
  } catch (err) {
    if (err instanceof ToolError && classifyIpError(err.stderr) === 'not-found') return undefined;
    throw err;
  }
  const link = (JSON.parse(stdout || '[]') as { linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> } }[])[0];
  const d = link?.linkinfo?.info_kind === 'vxlan' ? link.linkinfo.info_data : undefined;
  if (!d) return undefined;
  return {
    vni: Number(d.id),
    port: Number(d.port ?? 8472),
    local: typeof d.local === 'string' ? d.local : undefined,
    learning: d.learning === true,
  };
}
