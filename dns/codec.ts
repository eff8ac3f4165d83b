/**
 * The one module that knows the wire library. Decoding uses `@leichtgewicht/dns-packet` (measured
 * faster than `dns-packet` here); encoding is our own writer because the library does not compress
 * names and answers of a headless service repeat the same suffix dozens of times. Swap the library
 * here and nothing else changes.
 */
import * as lib from '@leichtgewicht/dns-packet';
import { TypeCode, typeCode, type DnsMessage, type ResourceRecord, type Question } from './message.js';
import { wireProblem } from './wire-check.js';

/** The UDP payload size Sextant advertises (the DNS flag day 2020 value). */
export const ADVERTISED_UDP_SIZE = 1232;
/** The classic limit for a UDP response to a query without EDNS. */
export const PLAIN_UDP_LIMIT = 512;

/** Thrown for bytes that are not a DNS message; `header` tells whether an ID could be read. */
export class MalformedMessage extends Error {
  constructor(message: string, readonly id: number | undefined) {
    super(message);
    this.name = 'MalformedMessage';
  }
}

type LibAnswer = lib.Answer & { udpPayloadSize?: number; ednsVersion?: number; flags?: number };

function fromLibRecord(a: LibAnswer): ResourceRecord {
  const base = { name: a.name, ttl: a.ttl ?? 0 };
  switch (a.type) {
    case 'A': case 'AAAA': case 'CNAME': case 'PTR': case 'NS':
      return { ...base, type: a.type, data: a.data };
    case 'SRV':
      return { ...base, type: 'SRV', data: { priority: a.data.priority ?? 0, weight: a.data.weight ?? 0, port: a.data.port ?? 0, target: a.data.target } };
    case 'TXT': {
      const parts = Array.isArray(a.data) ? a.data : [a.data];
      return { ...base, type: 'TXT', data: parts.map((p) => (typeof p === 'string' ? p : Buffer.from(p).toString('latin1'))) };
    }
    case 'SOA':
      return { ...base, type: 'SOA', data: { mname: a.data.mname, rname: a.data.rname, serial: a.data.serial ?? 0, refresh: a.data.refresh ?? 0, retry: a.data.retry ?? 0, expire: a.data.expire ?? 0, minimum: a.data.minimum ?? 0 } };
    case 'HINFO':
      return { ...base, type: 'HINFO', data: { cpu: a.data.cpu, os: a.data.os } };
    default: {
      const enc = lib.enc(a.type) as lib.Codec<unknown>;
      const withLen = enc.encode(a.data);
      return { ...base, type: 'OTHER', code: typeCode(a.type), data: Buffer.from(withLen).subarray(2) };
    }
  }
}

/** Decodes a whole message. Throws MalformedMessage (with the ID when the header was readable). */
export function decodeMessage(buf: Buffer): DnsMessage {
  if (buf.length < 12) throw new MalformedMessage('shorter than a DNS header', undefined);
  const id = buf.readUInt16BE(0);
  const flags = buf.readUInt16BE(2);
  const problem = wireProblem(buf);
  if (problem !== undefined) throw new MalformedMessage(problem, id);
  let p: lib.Packet;
  try {
    p = lib.decode(buf);
  } catch (err) {
    throw new MalformedMessage(`undecodable: ${(err as Error).message}`, id);
  }
  const msg: DnsMessage = {
    id, response: (flags & 0x8000) !== 0, opcode: (flags >> 11) & 0xf, aa: (flags & 0x400) !== 0,
    tc: (flags & 0x200) !== 0, rd: (flags & 0x100) !== 0, ra: (flags & 0x80) !== 0, ad: (flags & 0x20) !== 0,
    cd: (flags & 0x10) !== 0, rcode: flags & 0xf,
    questions: (p.questions ?? []).map((q) => ({ name: q.name, type: typeCode(q.type), class: typeof q.class === 'string' ? classCode(q.class) : 1 })),
    answers: [], authorities: [], additionals: [],
  };
  try {
    for (const a of (p.answers ?? []) as LibAnswer[]) msg.answers.push(fromLibRecord(a));
    for (const a of (p.authorities ?? []) as LibAnswer[]) msg.authorities.push(fromLibRecord(a));
    for (const a of (p.additionals ?? []) as LibAnswer[]) {
      if (a.type === 'OPT') {
        const f = a.flags ?? 0;
        msg.edns = { udpSize: a.udpPayloadSize ?? PLAIN_UDP_LIMIT, version: a.ednsVersion ?? 0, dnssecOk: (f & 0x8000) !== 0 };
        msg.rcode |= ((a as { extendedRcode?: number }).extendedRcode ?? 0) << 4;
      } else msg.additionals.push(fromLibRecord(a));
    }
  } catch (err) {
    throw new MalformedMessage(`bad record: ${(err as Error).message}`, id);
  }
  return msg;
}

const classCode = (c: string): number => ({ IN: 1, CS: 2, CH: 3, HS: 4, ANY: 255 } as Record<string, number>)[c] ?? (Number(/\d+/.exec(c)?.[0]) || 1);

/** Writes messages with name compression into one scratch buffer, then copies the result out. */
class Writer {
  buf = Buffer.allocUnsafe(65535 + 512);
  off = 0;
  names = new Map<string, number>();

  reset(): void {
    this.off = 0;
    this.names.clear();
  }
  u8(v: number): void { this.buf[this.off++] = v; }
  u16(v: number): void { this.buf.writeUInt16BE(v & 0xffff, this.off); this.off += 2; }
  u32(v: number): void { this.buf.writeUInt32BE(v >>> 0, this.off); this.off += 4; }
  check(n: number): void { if (this.off + n > 65535) throw new RangeError('message exceeds 65535 bytes'); }

  name(name: string, compress = true): void {
    if (name === '.' || name === '') { this.u8(0); return; }
    const labels = name.split('.');
    if (name.length > 253) throw new RangeError(`name too long: ${name.slice(0, 40)}...`);
    for (let i = 0; i < labels.length; i++) {
      const key = i === 0 ? name.toLowerCase() : labels.slice(i).join('.').toLowerCase();
      if (compress) {
        const ptr = this.names.get(key);
        if (ptr !== undefined) { this.u16(0xc000 | ptr); return; }
        if (this.off < 0x3fff) this.names.set(key, this.off);
      }
      const label = labels[i]!;
      const len = Buffer.byteLength(label);
      if (len === 0 || len > 63) throw new RangeError(`bad label length ${len} in ${name}`);
      this.check(len + 1);
      this.u8(len);
      this.off += this.buf.write(label, this.off, 'utf8');
    }
    this.u8(0);
  }

  charString(s: string): void {
    const len = Math.min(Buffer.byteLength(s, 'latin1'), 255);
    this.u8(len);
    this.off += this.buf.write(s.slice(0, len), this.off, 'latin1');
  }

  record(rr: ResourceRecord): void {
    this.check(300);
    this.name(rr.name);
    this.u16(rr.type === 'OTHER' ? rr.code : TypeCode[rr.type]!);
    this.u16(rr.class ?? 1);
    this.u32(rr.ttl);
    const lenAt = this.off;
    this.off += 2;
    switch (rr.type) {
      case 'A': {
        const parts = rr.data.split('.').map(Number);
        if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) throw new RangeError(`bad IPv4 address ${rr.data}`);
        for (const p of parts) this.u8(p);
        break;
      }
      case 'AAAA':
        this.ipv6(rr.data);
        break;
      case 'CNAME': case 'PTR': case 'NS':
        this.name(rr.data);
        break;
      case 'SRV':
        this.u16(rr.data.priority); this.u16(rr.data.weight); this.u16(rr.data.port);
        this.name(rr.data.target, false);
        break;
      case 'TXT':
        for (const s of rr.data) this.charString(s);
        break;
      case 'SOA':
        this.name(rr.data.mname); this.name(rr.data.rname);
        this.u32(rr.data.serial); this.u32(rr.data.refresh); this.u32(rr.data.retry); this.u32(rr.data.expire); this.u32(rr.data.minimum);
        break;
      case 'HINFO':
        this.charString(rr.data.cpu); this.charString(rr.data.os);
        break;
      case 'OTHER':
        this.check(rr.data.length);
        this.buf.set(rr.data, this.off);
        this.off += rr.data.length;
        break;
    }
    this.buf.writeUInt16BE(this.off - lenAt - 2, lenAt);
  }

  ipv6(text: string): void {
    const bytes = ipv6Bytes(text);
    this.buf.set(bytes, this.off);
    this.off += 16;
  }
}

/** The 16 bytes of an IPv6 address in text form (with `::` and an optional dotted IPv4 tail). */
export function ipv6Bytes(text: string): Uint8Array {
  let s = text;
  const tail: number[] = [];
  const m = /^(.*:)(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (m) {
    tail.push((Number(m[2]) << 8) | Number(m[3]), (Number(m[4]) << 8) | Number(m[5]));
    s = m[1]!;
    if (s.endsWith(':') && !s.endsWith('::')) s = s.slice(0, -1);
  }
  const parse = (x: string): number[] => (x === '' ? [] : x.split(':').map((h) => (/^[0-9a-fA-F]{1,4}$/.test(h) ? parseInt(h, 16) : NaN)));
  const dbl = s.indexOf('::');
  let groups: number[];
  if (dbl >= 0) {
    const h = parse(s.slice(0, dbl));
    const r = parse(s.slice(dbl + 2));
    const fill = 8 - tail.length - h.length - r.length;
    groups = fill < 0 ? [NaN] : [...h, ...new Array<number>(fill).fill(0), ...r];
  } else groups = parse(s);
  groups.push(...tail);
  if (groups.length !== 8 || groups.some((g) => !(g >= 0 && g <= 0xffff))) throw new RangeError(`bad IPv6 address ${text}`);
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}

const writer = new Writer();

function writeMessage(msg: DnsMessage, answers: ResourceRecord[], authorities: ResourceRecord[], additionals: ResourceRecord[], tc: boolean): Buffer {
  const w = writer;
  w.reset();
  w.u16(msg.id);
  const rcode = msg.rcode & 0xf;
  w.u16((msg.response ? 0x8000 : 0) | ((msg.opcode & 0xf) << 11) | (msg.aa ? 0x400 : 0) | (tc ? 0x200 : 0) | (msg.rd ? 0x100 : 0) | (msg.ra ? 0x80 : 0) | (msg.ad ? 0x20 : 0) | (msg.cd ? 0x10 : 0) | rcode);
  w.u16(msg.questions.length);
  w.u16(answers.length);
  w.u16(authorities.length);
  w.u16(additionals.length + (msg.edns ? 1 : 0));
  for (const q of msg.questions) writeQuestion(w, q);
  for (const rr of answers) w.record(rr);
  for (const rr of authorities) w.record(rr);
  for (const rr of additionals) w.record(rr);
  if (msg.edns) {
    w.u8(0);
    w.u16(TypeCode.OPT!);
    w.u16(msg.edns.udpSize);
    w.u8(msg.rcode >> 4);
    w.u8(msg.edns.version);
    w.u16(msg.edns.dnssecOk ? 0x8000 : 0);
    w.u16(0);
  }
  return Buffer.from(w.buf.subarray(0, w.off));
}

function writeQuestion(w: Writer, q: Question): void {
  w.name(q.name);
  w.u16(q.type);
  w.u16(q.class);
}

/**
 * Encodes a message with name compression. When it exceeds `limit` bytes the records are dropped
 * and TC is set (the question and the OPT record stay), so the client retries over TCP.
 */
export function encodeMessage(msg: DnsMessage, limit = 65535): Buffer {
  const full = writeMessage(msg, msg.answers, msg.authorities, msg.additionals, msg.tc);
  if (full.length <= limit) return full;
  return writeMessage(msg, [], [], [], true);
}
