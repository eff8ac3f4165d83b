import type { LinkInfo, NetlinkErrorKind } from './types.js';

/**
 * rtnetlink messages as bytes (linux/netlink.h, linux/rtnetlink.h, linux/if_link.h): the few
 * requests the CNI plugin sends through the native socket (native.ts) and the replies it reads.
 * Attributes nest the way iproute2 nests them, so the kernel sees what `ip` would send.
 */
export const NLM_F = { REQUEST: 0x1, MULTI: 0x2, ACK: 0x4, REPLACE: 0x100, EXCL: 0x200, CREATE: 0x400, ACK_TLVS: 0x200 } as const;
export const NLMSG = { ERROR: 2, DONE: 3 } as const;
export const RTM = { NEWLINK: 16, DELLINK: 17, GETLINK: 18, NEWADDR: 20, DELADDR: 21, NEWROUTE: 24, DELROUTE: 25 } as const;
export const IFLA = { ADDRESS: 1, IFNAME: 3, MTU: 4, MASTER: 10, LINKINFO: 18, EXT_MASK: 29, NET_NS_FD: 28, PROMISCUITY: 30 } as const;
const IFLA_INFO = { KIND: 1, DATA: 2, SLAVE_KIND: 4, SLAVE_DATA: 5 } as const;
const VETH_INFO_PEER = 1;
const IFLA_BRPORT_MODE = 4;
const RTEXT_FILTER_SKIP_STATS = 1 << 3;
export const IFF_UP = 0x1;
export const IFF_PROMISC = 0x100;
const AF_INET = 2;
const IFA = { ADDRESS: 1, LOCAL: 2 } as const;
const RTA = { DST: 1, OIF: 4, GATEWAY: 5, PRIORITY: 6, METRICS: 8 } as const;
const RTAX_MTU = 2;
const RT_TABLE_MAIN = 254;
const RTPROT_BOOT = 3;
const RTN_UNICAST = 1;
const RTNH_F_ONLINK = 4;
export const RT_SCOPE = { universe: 0, global: 0, link: 253, host: 254, nowhere: 255 } as const;

const align4 = (n: number) => (n + 3) & ~3;

/** One attribute: 4-byte header, payload, padding to 4. */
export function attr(type: number, payload: Buffer): Buffer {
  const out = Buffer.alloc(align4(4 + payload.length));
  out.writeUInt16LE(4 + payload.length, 0);
  out.writeUInt16LE(type, 2);
  payload.copy(out, 4);
  return out;
}
export const nested = (type: number, ...children: Buffer[]) => attr(type, Buffer.concat(children));
export const strAttr = (type: number, s: string) => attr(type, Buffer.from(`${s}\0`));
export function u32Attr(type: number, v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return attr(type, b);
}
export const u8Attr = (type: number, v: number) => attr(type, Buffer.from([v]));
export const macBytes = (mac: string) => Buffer.from(mac.split(':').map((x) => parseInt(x, 16)));
export const ipBytes = (ip: string) => Buffer.from(ip.split('.').map(Number));

/** nlmsghdr + body. */
export function message(type: number, flags: number, seq: number, body: Buffer[]): Buffer {
  const payload = Buffer.concat(body);
  const hdr = Buffer.alloc(16);
  hdr.writeUInt32LE(16 + payload.length, 0);
  hdr.writeUInt16LE(type, 4);
  hdr.writeUInt16LE(flags | NLM_F.REQUEST, 6);
  hdr.writeUInt32LE(seq, 8);
  return Buffer.concat([hdr, payload]);
}

/** struct ifinfomsg. */
export function ifinfomsg(index = 0, flags = 0, change = 0): Buffer {
  const b = Buffer.alloc(16);
  b.writeInt32LE(index, 4);
  b.writeUInt32LE(flags >>> 0, 8);
  b.writeUInt32LE(change >>> 0, 12);
  return b;
}

/** IFLA_LINKINFO for a new link of `kind` with optional IFLA_INFO_DATA. */
export const linkInfo = (kind: string, data?: Buffer) => nested(IFLA.LINKINFO, strAttr(IFLA_INFO.KIND, kind), ...(data ? [attr(IFLA_INFO.DATA, data)] : []));
/** The veth peer: VETH_INFO_PEER carries its own ifinfomsg and attributes. */
export const vethPeer = (peerAttrs: Buffer[]) => nested(VETH_INFO_PEER, ifinfomsg(), ...peerAttrs);
/** `type bridge_slave hairpin on|off` as iproute2 sends it. */
export const hairpinInfo = (on: boolean) =>
  nested(IFLA.LINKINFO, strAttr(IFLA_INFO.SLAVE_KIND, 'bridge'), nested(IFLA_INFO.SLAVE_DATA, u8Attr(IFLA_BRPORT_MODE, on ? 1 : 0)));
/** RTM_GETLINK by name (index 0) or index, without statistics. */
export const getLinkBody = (key: string | number) =>
  typeof key === 'number' ? [ifinfomsg(key), u32Attr(IFLA.EXT_MASK, RTEXT_FILTER_SKIP_STATS)] : [ifinfomsg(), strAttr(IFLA.IFNAME, key), u32Attr(IFLA.EXT_MASK, RTEXT_FILTER_SKIP_STATS)];

/** struct ifaddrmsg + IFA_LOCAL/IFA_ADDRESS, as `ip addr add A/P dev D`. */
export function addrBody(index: number, cidr: string): Buffer[] {
  const [ip, prefix] = cidr.split('/');
  const b = Buffer.alloc(8);
  b.writeUInt8(AF_INET, 0);
  b.writeUInt8(Number(prefix ?? 32), 1);
  b.writeUInt32LE(index, 4);
  return [b, attr(IFA.LOCAL, ipBytes(ip!)), attr(IFA.ADDRESS, ipBytes(ip!))];
}

export interface RouteFields {
  dst: string;
  gw?: string;
  oif?: number;
  onlink?: boolean;
  scope: number;
  metric?: number;
  mtu?: number;
  /** RTM_DELROUTE leaves protocol and type open, as iproute2 does. */
  del?: boolean;
}

/** struct rtmsg + attributes in the main table. */
export function routeBody(r: RouteFields): Buffer[] {
  const [net, len] = r.dst.split('/');
  const dstLen = Number(len ?? 32);
  const b = Buffer.alloc(12);
  b.writeUInt8(AF_INET, 0);
  b.writeUInt8(dstLen, 1);
  b.writeUInt8(RT_TABLE_MAIN, 4);
  b.writeUInt8(r.del ? 0 : RTPROT_BOOT, 5);
  b.writeUInt8(r.scope, 6);
  b.writeUInt8(r.del ? 0 : RTN_UNICAST, 7);
  b.writeUInt32LE(r.onlink ? RTNH_F_ONLINK : 0, 8);
  const attrs: Buffer[] = [b];
  if (dstLen > 0) attrs.push(attr(RTA.DST, ipBytes(net!)));
  if (r.gw) attrs.push(attr(RTA.GATEWAY, ipBytes(r.gw)));
  if (r.oif !== undefined) attrs.push(u32Attr(RTA.OIF, r.oif));
  if (r.metric !== undefined) attrs.push(u32Attr(RTA.PRIORITY, r.metric));
  if (r.mtu !== undefined) attrs.push(nested(RTA.METRICS, u32Attr(RTAX_MTU, r.mtu)));
  return attrs;
}

/** One message of a reply datagram. */
export interface Reply {
  type: number;
  flags: number;
  seq: number;
  payload: Buffer;
}

export function splitReplies(buf: Buffer): Reply[] {
  const out: Reply[] = [];
  let off = 0;
  while (off + 16 <= buf.length) {
    const len = buf.readUInt32LE(off);
    if (len < 16 || off + len > buf.length) break;
    out.push({ type: buf.readUInt16LE(off + 4), flags: buf.readUInt16LE(off + 6), seq: buf.readUInt32LE(off + 8), payload: buf.subarray(off + 16, off + len) });
    off += align4(len);
  }
  return out;
}

/** Attributes of a payload from `start`, by type (the last one of a type wins). */
export function parseAttrs(buf: Buffer, start = 0): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  let off = start;
  while (off + 4 <= buf.length) {
    const len = buf.readUInt16LE(off);
    if (len < 4 || off + len > buf.length) break;
    out.set(buf.readUInt16LE(off + 2) & 0x3fff, buf.subarray(off + 4, off + len));
    off += align4(len);
  }
  return out;
}

const cstr = (b: Buffer | undefined) => (b ? b.toString('utf8', 0, b.indexOf(0) < 0 ? b.length : b.indexOf(0)) : undefined);

/** An NLMSG_ERROR reply: errno (0 = ack) and the kernel's extended-ack text, if any. */
export function parseError(r: Reply): { errno: number; text: string | undefined } {
  const errno = -r.payload.readInt32LE(0);
  // With NETLINK_CAP_ACK the echoed request is just its 16-byte header; TLVs follow.
  const text = r.flags & NLM_F.ACK_TLVS ? cstr(parseAttrs(r.payload, 4 + 16).get(1)) : undefined;
  return { errno, text };
}

/** The errno values rtnetlink answers with (asm-generic/errno*.h, the same on x86 and arm). */
const ERRNO_NAMES: Record<number, string> = {
  1: 'EPERM', 2: 'ENOENT', 3: 'ESRCH', 6: 'ENXIO', 12: 'ENOMEM', 13: 'EACCES', 16: 'EBUSY', 17: 'EEXIST', 19: 'ENODEV',
  22: 'EINVAL', 28: 'ENOSPC', 34: 'ERANGE', 95: 'EOPNOTSUPP', 99: 'EADDRNOTAVAIL', 101: 'ENETUNREACH',
};
export const errnoName = (errno: number) => ERRNO_NAMES[errno] ?? `errno ${errno}`;

/** The kernel's errno in the terms the fake and iproute2 path use. */
export function errnoKind(errno: number): NetlinkErrorKind {
  const name = errnoName(errno);
  if (name === 'EEXIST') return 'exists';
  if (['ENODEV', 'ENOENT', 'ESRCH', 'EADDRNOTAVAIL', 'ENXIO'].includes(name)) return 'not-found';
  if (['EINVAL', 'EOPNOTSUPP', 'ENETUNREACH', 'ERANGE'].includes(name)) return 'invalid';
  return 'other';
}

/** A RTM_NEWLINK reply; `master` is the master's ifindex (the caller names it). */
export function parseLink(payload: Buffer): Omit<LinkInfo, 'master'> & { masterIndex: number | undefined } {
  const index = payload.readInt32LE(4);
  const flags = payload.readUInt32LE(8);
  const a = parseAttrs(payload, 16);
  const info = a.get(IFLA.LINKINFO);
  const mac = a.get(IFLA.ADDRESS);
  return {
    index,
    name: cstr(a.get(IFLA.IFNAME)) ?? '',
    kind: info ? cstr(parseAttrs(info).get(IFLA_INFO.KIND)) : undefined,
    mac: mac ? [...mac].map((x) => x.toString(16).padStart(2, '0')).join(':') : '',
    mtu: a.get(IFLA.MTU)?.readUInt32LE(0) ?? 0,
    up: (flags & IFF_UP) !== 0,
    masterIndex: a.get(IFLA.MASTER)?.readUInt32LE(0),
    promisc: (a.get(IFLA.PROMISCUITY)?.readUInt32LE(0) ?? 0) > 0 || (flags & IFF_PROMISC) !== 0,
  };
}
