/**
 * Helpers for plugin tests: build a request as the server would, run a plugin chain, and render
 * the sections in dig's text form so table-driven cases read like dig output.
 */
import { buildChain, normalizeName, type DnsRequest, type Plugin } from './chain.js';
import { Rcode, rcodeName, typeCode, type DnsMessage, type ResourceRecord } from './message.js';

export function makeRequest(qname: string, qtype: string | number, proto: 'udp' | 'tcp' = 'udp'): DnsRequest {
  const type = typeof qtype === 'number' ? qtype : typeCode(qtype);
  const msg: DnsMessage = {
    id: 4242, response: false, opcode: 0, aa: false, tc: false, rd: true, ra: false, ad: false, cd: false, rcode: 0,
    questions: [{ name: qname, type, class: 1 }], answers: [], authorities: [], additionals: [],
  };
  return { msg, question: msg.questions[0]!, qname: normalizeName(qname), proto, remoteAddress: '127.0.0.1', remotePort: 5353 };
}

/** `name ttl TYPE data` for a record, as dig prints it (without the class). */
export function rrText(rr: ResourceRecord): string {
  const type = rr.type === 'OTHER' ? `TYPE${rr.code}` : rr.type;
  let data: string;
  switch (rr.type) {
    case 'SRV': data = `${rr.data.priority} ${rr.data.weight} ${rr.data.port} ${rr.data.target}`; break;
    case 'SOA': data = `${rr.data.mname} ${rr.data.rname} ${rr.data.minimum}`; break;
    case 'TXT': data = rr.data.map((s) => JSON.stringify(s)).join(' '); break;
    case 'HINFO': data = `${rr.data.cpu} ${rr.data.os}`; break;
    case 'OTHER': data = Buffer.from(rr.data).toString('hex'); break;
    default: data = rr.data;
  }
  return `${rr.name} ${rr.ttl} ${type} ${data}`;
}

export interface Rendered {
  rcode: string;
  aa: boolean;
  answer: string[];
  authority: string[];
  additional: string[];
}

export async function ask(plugins: Plugin[], qname: string, qtype: string): Promise<Rendered & { stable: boolean }> {
  const reply = await buildChain(plugins)(makeRequest(qname, qtype));
  const m = reply.msg;
  return {
    rcode: rcodeName(m.rcode), aa: m.aa, stable: reply.stable === true,
    answer: m.answers.map(rrText).sort(), authority: m.authorities.map(rrText), additional: m.additionals.map(rrText).sort(),
  };
}

/** A terminal plugin that answers everything with one fixed code, standing in for "the rest". */
export const fixedRcode = (rcode: number = Rcode.REFUSED): Plugin => ({
  name: 'fixed',
  handle: (req) => ({ msg: { ...makeRequest(req.question.name, req.question.type).msg, response: true, rcode } }),
});
