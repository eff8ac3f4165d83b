/**
 * kernel/netlink: the one wrapper of rtnetlink (links, addresses, routes, neighbours, FDB).
 * - `openIpNetlink(netnsPath?, opts?)` — iproute2, any namespace, no native code (CNI plugin);
 *   `applyInNetns(path, ops, sysctls)` — sysctls + a plan in one process (the CNI pod side).
 * - `openSocketNetlink()` — the `netlink` npm package, caller's namespace (daemons).
 * - `openNativeNetlink(sys, path?)`, `applyInNetnsNative(...)` — the CNI plugin's own helper
 *   (native/sxsys.c): a raw socket in any namespace via setns, no child process (native.ts).
 * - `FakeKernel` — in-memory namespaces enforcing the kernel's rules (unit tests).
 */
export * from './types.js';
export { openIpNetlink, opToBatchLine, classifyIpError, applyInNetns, type IpNetlinkOptions } from './ip-command.js';
export { openSocketNetlink } from './socket.js';
export { openNativeNetlink, applyInNetnsNative } from './native.js';
export { FakeKernel, FakeNamespace } from './fake.js';
