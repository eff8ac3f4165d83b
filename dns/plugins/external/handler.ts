/**
 * external: like CoreDNS's k8s_external — answers `<service>.<namespace>.<zone>` in a zone meant
 * for clients outside the cluster with the Service's external addresses (`spec.externalIPs` and
 * LoadBalancer ingress IPs), so the wider network can delegate that zone to the cluster's DNS.
 * Cluster IPs are never exposed here. Negative answers carry this zone's SOA.
 */
import { inZone, type Plugin } from '../../chain.js';
import { answerReply, nodataReply, nxdomainReply, soaRecord } from '../../authority.js';
import { TypeCode, type ResourceRecord } from '../../message.js';
import { canonicalIP, isIPv4, isIPv6 } from '../kubernetes/names.js';
import type { ServiceLike } from '../kubernetes/objects.js';

export interface ExternalOptions {
  zone: string;
  ttl: number;
  /** Finds a Service by namespace and name (the kubernetes plugin's index). */
  service: (namespace: string, name: string) => ServiceLike | undefined;
  serial: () => number;
}

export function externalAddresses(svc: ServiceLike): string[] {
  const ips = [...(svc.spec?.externalIPs ?? []), ...(svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '')];
  return [...new Set(ips.filter((ip) => isIPv4(ip) || isIPv6(ip)).map(canonicalIP))];
}

export function externalPlugin(opts: ExternalOptions): Plugin {
  const zone = opts.zone;
  return {
    name: 'external',
    handle(req, next) {
      if (!inZone(req.qname, zone)) return next(req);
      const soa = soaRecord(zone, opts.ttl, opts.serial());
      if (req.qname === zone) {
        if (req.question.type === TypeCode.SOA) return answerReply(req, [soa]);
        if (req.question.type === TypeCode.NS) return answerReply(req, [{ name: zone, type: 'NS', ttl: opts.ttl, data: `ns1.dns.${zone}` }]);
        return nodataReply(req, soa);
      }
      const labels = req.qname.slice(0, -(zone.length + 1)).split('.');
      if (labels.length !== 2) return nxdomainReply(req, soa);
      const svc = opts.service(labels[1]!, labels[0]!);
      const ips = svc ? externalAddresses(svc) : [];
      if (ips.length === 0) return nxdomainReply(req, soa);
      const want = req.question.type;
      const rrs: ResourceRecord[] = ips
        .filter((ip) => (want === TypeCode.A && isIPv4(ip)) || (want === TypeCode.AAAA && !isIPv4(ip)) || want === TypeCode.ANY)
        .map((ip) => (isIPv4(ip) ? { name: req.qname, type: 'A', ttl: opts.ttl, data: ip } : { name: req.qname, type: 'AAAA', ttl: opts.ttl, data: ip }));
      return rrs.length ? answerReply(req, rrs) : nodataReply(req, soa);
    },
  };
}
