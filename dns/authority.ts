/**
 * Helpers for plugins that are authoritative for a zone (kubernetes, external): the SOA they put
 * in negative answers and the answer shapes CoreDNS gives — records, NODATA (NOERROR with the SOA)
 * and NXDOMAIN with the SOA. Every such answer has AA set.
 */
import type { DnsRequest, Reply } from './chain.js';
import { Rcode, replyTo, type ResourceRecord } from './message.js';

/** The zone's SOA as CoreDNS builds it: TTL min(ttl, 300), minimum = ttl (the negative-cache time). */
export function soaRecord(zone: string, ttl: number, serial: number): ResourceRecord {
  return {
    name: zone, type: 'SOA', ttl: Math.min(ttl, 300),
    data: { mname: `ns.dns.${zone}`, rname: `hostmaster.${zone}`, serial, refresh: 7200, retry: 1800, expire: 86400, minimum: ttl },
  };
}

/** An authoritative answer; records owned by the question name take the question's spelling. */
export function answerReply(req: DnsRequest, answers: ResourceRecord[], additionals: ResourceRecord[] = [], stable = true): Reply {
  const msg = replyTo(req.msg);
  msg.aa = true;
  const qname = req.question.name.replace(/\.$/, '');
  msg.answers = answers.map((rr) => (rr.name === req.qname ? { ...rr, name: qname } : rr));
  msg.additionals = additionals;
  return { msg, stable };
}

/** NOERROR with no answer and the SOA: the name exists, not with that type. */
export function nodataReply(req: DnsRequest, soa: ResourceRecord, stable = true): Reply {
  const msg = replyTo(req.msg);
  msg.aa = true;
  msg.authorities = [soa];
  return { msg, stable };
}

/** NXDOMAIN with the SOA: the name does not exist. */
export function nxdomainReply(req: DnsRequest, soa: ResourceRecord, stable = true): Reply {
  const msg = replyTo(req.msg, Rcode.NXDOMAIN);
  msg.aa = true;
  msg.authorities = [soa];
  return { msg, stable };
}
