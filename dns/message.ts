/**
 * The DNS message model every part of the server shares. It is deliberately independent of the
 * wire library (see codec.ts), so the library can be swapped without touching plugins.
 * Names carry no trailing dot; the root is ".".
 */

export const Rcode = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
export type RcodeValue = (typeof Rcode)[keyof typeof Rcode];

const rcodeNames = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];
/** `NOERROR`, `NXDOMAIN`, ... for logs and metric labels. */
export const rcodeName = (r: number): string => rcodeNames[r] ?? `RCODE${r}`;

/** Numeric RR type codes for the types Sextant produces or inspects. */
export const TypeCode: Record<string, number> = {
  A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, HINFO: 13, MX: 15, TXT: 16, AAAA: 28, SRV: 33, OPT: 41,
  IXFR: 251, AXFR: 252, ANY: 255,
};
const codeToName = new Map(Object.entries(TypeCode).map(([n, c]) => [c, n]));
/** The mnemonic of a type code (`TYPE65` for ones Sextant has no name for, as RFC 3597 writes). */
export const typeName = (code: number): string => codeToName.get(code) ?? `TYPE${code}`;
export const typeCode = (name: string): number => {
  const c = TypeCode[name];
  if (c !== undefined) return c;
  const m = /^(?:TYPE|UNKNOWN_)(\d+)$/.exec(name);
  return m ? Number(m[1]) : 0;
};

export interface Question {
  name: string;
  /** Numeric QTYPE (1 = A, 28 = AAAA, ...). */
  type: number;
  /** Numeric QCLASS (1 = IN). */
  class: number;
}

export interface SrvData { priority: number; weight: number; port: number; target: string }
export interface SoaData { mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number }

interface RRBase { name: string; ttl: number; class?: number }
/** A resource record; `OTHER` carries a record of a type Sextant does not interpret, as raw RDATA. */
export type ResourceRecord = RRBase &
  (
    | { type: 'A' | 'AAAA' | 'CNAME' | 'PTR' | 'NS'; data: string }
    | { type: 'SRV'; data: SrvData }
    | { type: 'TXT'; data: string[] }
    | { type: 'SOA'; data: SoaData }
    | { type: 'HINFO'; data: { cpu: string; os: string } }
    | { type: 'OTHER'; code: number; data: Uint8Array }
  );

export interface Edns {
  /** The requester's UDP payload size (or ours, in a response). */
  udpSize: number;
  version: number;
  dnssecOk: boolean;
}

export interface DnsMessage {
  id: number;
  response: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  ad: boolean;
  cd: boolean;
  rcode: number;
  questions: Question[];
  answers: ResourceRecord[];
  authorities: ResourceRecord[];
  additionals: ResourceRecord[];
  edns?: Edns;
}

/** An empty response to `query`: same ID, question, RD and CD; RA set, as a recursive server does. */
export function replyTo(query: DnsMessage, rcode: number = Rcode.NOERROR): DnsMessage {
  return {
    id: query.id, response: true, opcode: query.opcode, aa: false, tc: false, rd: query.rd, ra: true,
    ad: false, cd: query.cd, rcode, questions: query.questions.slice(0, 1), answers: [], authorities: [], additionals: [],
  };
}

/** The RR type code of a record. */
export const recordTypeCode = (rr: ResourceRecord): number => (rr.type === 'OTHER' ? rr.code : TypeCode[rr.type]!);
