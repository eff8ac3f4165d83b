/**
 * The kubernetes plugin's answers: the cluster zone from the record index (services, endpoints,
 * dns-version), pod names by mode, PTR in the reverse zones, and CoreDNS's negative answers —
 * NODATA for names that exist without the asked type, NXDOMAIN otherwise, both with the SOA;
 * SERVFAIL instead of NXDOMAIN until the first sync, so clients retry rather than cache a miss.
 */
import { inZone, matchZone, type DnsRequest, type Next, type Plugin, type Reply } from '../../chain.js';
import { answerReply, nodataReply, nxdomainReply, soaRecord } from '../../authority.js';
import { Rcode, TypeCode, replyTo, type ResourceRecord } from '../../message.js';
import { ipFromDashed, isIPv4 } from './names.js';
import { recordsOf, type RecordIndex, type RRSet } from './record-index.js';

export type PodMode = 'disabled' | 'insecure' | 'verified';

export interface KubernetesPluginOptions {
  index: RecordIndex;
  /** Extra zones answered from the index besides the cluster zone (normally the reverse zones). */
  reverseZones: string[];
  pods: PodMode;
  /** Zones where a miss goes on to the next plugin instead of NXDOMAIN. */
  fallthrough: string[];
  /** True once every informer delivered its initial list. */
  synced: () => boolean;
}

const ZONE_TRANSFER = new Set([TypeCode.AXFR!, TypeCode.IXFR!]);

export function kubernetesPlugin(opts: KubernetesPluginOptions): Plugin {
  const { index } = opts;
  const zone = index.zone;
  const zones = [zone, ...opts.reverseZones];
  const fixed = new Set([zone, `svc.${zone}`, `pod.${zone}`]);

  const negative = (req: DnsRequest, authZone: string, next: Next, exists: boolean): Reply | Promise<Reply> => {
    const soa = soaRecord(authZone, index.ttl, index.serial);
    if (exists) return nodataReply(req, soa, opts.synced());
    if (opts.fallthrough.some((z) => inZone(req.qname, z))) return next(req);
    if (!opts.synced()) return { msg: replyTo(req.msg, Rcode.SERVFAIL), transient: true };
    return nxdomainReply(req, soa);
  };

  const pick = (set: RRSet, qtype: number): ResourceRecord[] | undefined => {
    if (qtype === TypeCode.ANY) return set.records.flat();
    return recordsOf(set, qtype) ?? (qtype !== TypeCode.CNAME ? recordsOf(set, TypeCode.CNAME!) : undefined);
  };

  const podAnswer = (req: DnsRequest, next: Next): Reply | Promise<Reply> | undefined => {
    const podZone = `pod.${zone}`;
    if (!inZone(req.qname, podZone) || req.qname === podZone) return undefined;
    const labels = req.qname.slice(0, -(podZone.length + 1)).split('.');
    if (opts.pods === 'disabled') return negative(req, zone, next, false);
    if (labels.length === 1) return negative(req, zone, next, index.exists(`${labels[0]}.svc.${zone}`));
    if (labels.length !== 2) return negative(req, zone, next, false);
    const ip = ipFromDashed(labels[0]!);
    if (!ip || (opts.pods === 'verified' && !index.podExists(ip, labels[1]!))) return negative(req, zone, next, false);
    const want = isIPv4(ip) ? TypeCode.A : TypeCode.AAAA;
    if (req.question.type !== want && req.question.type !== TypeCode.ANY) return negative(req, zone, next, true);
    const rr: ResourceRecord = isIPv4(ip) ? { name: req.qname, type: 'A', ttl: index.ttl, data: ip } : { name: req.qname, type: 'AAAA', ttl: index.ttl, data: ip };
    return answerReply(req, [rr]);
  };

  return {
    name: 'kubernetes',
    notReady: () => (opts.synced() ? null : 'kubernetes: informers not synced'),
    handle(req, next) {
      const authZone = matchZone(req.qname, zones);
      if (!authZone) return next(req);
      if (ZONE_TRANSFER.has(req.question.type)) return { msg: replyTo(req.msg, Rcode.REFUSED) };
      const qtype = req.question.type;
      if (authZone === zone) {
        const pod = podAnswer(req, next);
        if (pod) return pod;
      }
      const set = index.lookup(req.qname);
      if (set) {
        const rrs = pick(set, qtype);
        if (rrs && rrs.length > 0) return answerReply(req, rrs, qtype === TypeCode.SRV ? (set.additional ?? []) : []);
        return negative(req, authZone, next, true);
      }
      if (req.qname === authZone && authZone === zone && qtype === TypeCode.SOA) {
        return answerReply(req, [soaRecord(zone, index.ttl, index.serial)]);
      }
      if (authZone === zone && req.qname === zone && qtype === TypeCode.NS) {
        return answerReply(req, [{ name: zone, type: 'NS', ttl: index.ttl, data: `ns.dns.${zone}` }]);
      }
      return negative(req, authZone, next, fixed.has(req.qname) || index.exists(req.qname));
    },
  };
}
