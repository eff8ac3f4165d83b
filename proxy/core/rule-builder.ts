import { CHAINS, MASQ_MARK, endpointChain, isServiceChain, serviceChain } from './chain-names.js';
import { categorizeEndpoints, endpointString, endpointsKey, type EndpointInfo } from './endpoint.js';
import { hostCidr } from './ipv4.js';
import { jumpRuleText, type JumpRule } from './jump-rules.js';
import { externallyAccessible, type ServicePortInfo, type ServicePortName } from './service-port.js';

/** Node-wide settings that shape every rule. */
export interface RuleBuilderConfig {
  nodeName: string;
  /** Pod CIDR of the cluster; traffic from it to a ClusterIP is not masqueraded. Only the first is used. */
  clusterCIDRs: readonly string[];
  /** Restrict NodePorts to local addresses in these CIDRs; empty means every local address. */
  nodePortCIDRs: readonly string[];
  /** Accept NodePorts on 127.0.0.0/8 (needs route_localnet=1 in that namespace). */
  localhostNodePorts?: boolean;
}

/** The state to program and what the kernel is known to hold. */
export interface SyncInput {
  services: ReadonlyMap<ServicePortName, ServicePortInfo>;
  endpoints: ReadonlyMap<string, readonly EndpointInfo[]>;
  /** Full: rewrite every chain and re-add missing hooks. Partial: only `changedServices`' chains. */
  full: boolean;
  /** `namespace/name` of Services whose chains must be rewritten on a partial sync. */
  changedServices: ReadonlySet<string>;
  /** Our per-service nat chains (`SX-SVC-…`, `SX-SEP-…`, …) present in the kernel now. */
  existingChains: ReadonlySet<string>;
  /** Hooks from built-in chains that are missing and must be inserted (full syncs only). */
  missingJumps: readonly JumpRule[];
  /**
   * Fingerprints of the top-level chains as last applied (`SyncPlan.topLevel`). When given on a
   * partial sync, top-level chains whose text is unchanged are left out of the payload — the
   * kernel already holds them — instead of being rewritten every time as kube-proxy does. Omit to
   * always rewrite them.
   */
  appliedTopLevel?: TopLevelText;
  /**
   * Full syncs only: write the per-service chains in separate restores (`SyncPlan.preludes`) of
   * about this many chains each, whole service ports at a time, before the main payload.
   * iptables-nft-restore 1.8.9 keeps the chains a `--noflush` payload names in a sorted linked
   * list (nft-cache.c `cache_chain_list_insert`), so one restore naming 60,000 chains costs
   * O(chains × lines) — minutes at 10,000 services; 1,000-chain restores cost ~0.1 s each. Every
   * prelude leaves a consistent state: a port's chains are written together, SEP chains are
   * content-addressed, the top-level chains switch and stale chains go in the main payload.
   */
  maxChainsPerRestore?: number;
}

/** The text of the top-level chains per table, to skip rewriting them when unchanged. */
export interface TopLevelText {
  filter: string;
  nat: string;
}

/** One `iptables-restore --noflush` payload and what it leaves in the kernel. */
export interface SyncPlan {
  /**
   * Restores to apply, in order, before `payload` (full syncs with `maxChainsPerRestore`), each as
   * its lines (`Iptables.restore` streams them): the lines are the rule cache's own strings, so
   * the 24 MB of service chains at 10,000 services are never copied into payload strings.
   */
  preludes: (readonly string[])[];
  payload: string;
  /** Every per-service nat chain that exists after the restore (computed on first access on partial syncs). */
  readonly chains: Set<string>;
  /** How `existingChains` changes: a partial sync applies this in place instead of copying a 60,000-chain set. */
  chainsAdded: string[];
  chainsRemoved: string[];
  /** Stale per-service chains this payload deletes. */
  deletedChains: string[];
  /** Per-service chains written (flushed and refilled) by this payload. */
  writtenChains: number;
  /** Rules in the payload, per table. */
  writtenRules: { filter: number; nat: number };
  /** Rules in the top-level chains (all of filter; SX-SERVICES, SX-NODEPORTS, … in nat), written or not. */
  topLevelRules: { filter: number; nat: number };
  /** nat rules in per-service chains, per Service: lets the caller keep a total across partial syncs. */
  serviceRules: Map<string, number>;
  /** Service ports with externalTrafficPolicy Local (or internal Local) and no local endpoint. */
  noLocalEndpoints: number;
  /** Text of the top-level chains this payload describes (whether written or skipped). */
  topLevel: TopLevelText;
}

const q = (text: string): string => `"${text}"`;

/** Go's `%0.10f` for the statistic match: 1/(n-i) with ten decimals. */
export const probability = (n: number): string => (1 / n).toFixed(10);

class Lines {
  readonly out: string[] = [];
  rules = 0;
  chain(name: string): void {
    this.out.push(`:${name} - [0:0]`);
  }
  rule(text: string): void {
    this.out.push(`-A ${text}`);
    this.rules++;
  }
}

/** The rules one service port contributes, kept between syncs while its inputs are unchanged. */
interface PortRules {
  info: ServicePortInfo;
  endpoints: readonly EndpointInfo[] | undefined;
  filter: string;
  filterCount: number;
  top: string;
  topCount: number;
  /** The port's own chains (SVC/SVL/EXT/SEP), and the rules that fill them. */
  own: string[];
  body: string;
  bodyCount: number;
  noLocal: boolean;
}

/**
 * Per-port results reused across syncs: an entry is valid while the ServicePortInfo and endpoint
 * list objects are the same ones (the change trackers replace them on every change), so a partial
 * sync at 10,000 services costs one string join, not 10,000 rebuilds.
 */
export class RuleCache {
  readonly ports = new Map<ServicePortName, PortRules>();
  /** Service port names in order, reused while the set of ports is the same. */
  names: ServicePortName[] = [];
  /** Top-level text of the last build, reused (same strings) while no port's top-level rules changed. */
  topLevel: TopLevelText | undefined;
}

function portRules(cfg: RuleBuilderConfig, spn: ServicePortName, svc: ServicePortInfo, all: readonly EndpointInfo[]): PortRules {
  const filter = new Lines();
  const top = new Lines();
  const body = new Lines();
  const podCidr = cfg.clusterCIDRs[0];
  const p = svc.protocol;
  const { cluster, local } = categorizeEndpoints(all, cfg.nodeName);
  const ext = externallyAccessible(svc);
  const internalEps = svc.internalPolicyLocal ? local : cluster;
  const externalEps = svc.externalPolicyLocal ? local : cluster;
  const hasEndpoints = cluster.length > 0 || local.length > 0;
  const svcChain = serviceChain('SVC', spn, p);
  const svlChain = serviceChain('SVL', spn, p);
  const extChain = serviceChain('EXT', spn, p);
  const usesSvc = cluster.length > 0 && (!svc.internalPolicyLocal || ext);
  const usesSvl = local.length > 0 && (svc.internalPolicyLocal || (ext && svc.externalPolicyLocal));
  const usesExt = hasEndpoints && ext;
  const internalChain = svc.internalPolicyLocal ? svlChain : svcChain;
  const externalPolicyChain = svc.externalPolicyLocal ? svlChain : svcChain;
  const noLocal = (svc.internalPolicyLocal || svc.externalPolicyLocal) && local.length === 0;

  let internalTarget = '';
  let externalTarget = '';
  let filterComment = '';
  if (!hasEndpoints) {
    internalTarget = externalTarget = 'REJECT';
    filterComment = `${spn} has no endpoints`;
  } else {
    filterComment = `${spn} has no local endpoints`;
    if (internalEps.length === 0) internalTarget = 'DROP';
    if (externalEps.length === 0) externalTarget = 'DROP';
  }
  const pm = `-p ${p}`;
  const mm = `-m ${p}`;

  for (const vip of svc.clusterIPs) {
    if (!internalTarget) {
      top.rule(`${CHAINS.services} -d ${hostCidr(vip)} ${pm} -m comment --comment ${q(`${spn} cluster IP`)} ${mm} --dport ${svc.port} -j ${internalChain}`);
    } else {
      filter.rule(`${CHAINS.services} -d ${hostCidr(vip)} ${pm} -m comment --comment ${q(filterComment)} ${mm} --dport ${svc.port} -j ${internalTarget}`);
    }
  }
  for (const [ips, label] of [
    [svc.externalIPs, 'external IP'],
    [svc.loadBalancerIPs, 'loadbalancer IP'],
  ] as const) {
    for (const ip of ips) {
      if (usesExt) top.rule(`${CHAINS.services} -d ${hostCidr(ip)} ${pm} -m comment --comment ${q(`${spn} ${label}`)} ${mm} --dport ${svc.port} -j ${extChain}`);
      if (externalTarget)
        filter.rule(`${CHAINS.externalServices} -d ${hostCidr(ip)} ${pm} -m comment --comment ${q(filterComment)} ${mm} --dport ${svc.port} -j ${externalTarget}`);
    }
  }
  if (svc.nodePort > 0) {
    if (usesExt) top.rule(`${CHAINS.nodePorts} ${pm} -m comment --comment ${spn} ${mm} --dport ${svc.nodePort} -j ${extChain}`);
    if (externalTarget)
      filter.rule(
        `${CHAINS.externalServices} ${pm} -m comment --comment ${q(filterComment)} -m addrtype --dst-type LOCAL ${mm} --dport ${svc.nodePort} -j ${externalTarget}`,
      );
  }
  if (svc.healthCheckNodePort > 0) {
    filter.rule(`${CHAINS.nodePorts} -p tcp -m comment --comment ${q(`${spn} health check node port`)} -m tcp --dport ${svc.healthCheckNodePort} -j ACCEPT`);
  }

  // The Service's own chains.
  const own: string[] = [];
  if (usesSvc) own.push(svcChain);
  if (usesSvl) own.push(svlChain);
  if (usesExt) own.push(extChain);
  const seps = new Map<string, string>();
  for (const e of usesSvc ? cluster : []) seps.set(endpointString(e), endpointChain(spn, p, endpointString(e)));
  for (const e of usesSvl ? local : []) seps.set(endpointString(e), endpointChain(spn, p, endpointString(e)));
  own.push(...seps.values());

  if (usesExt) {
    if (!svc.externalPolicyLocal) {
      body.rule(`${extChain} -m comment --comment ${q(`masquerade traffic for ${spn} external destinations`)} -j ${CHAINS.markMasq}`);
    } else {
      const shortcut = usesSvc ? svcChain : svlChain;
      if (podCidr) body.rule(`${extChain} -s ${podCidr} -m comment --comment ${q(`pod traffic for ${spn} external destinations`)} -j ${shortcut}`);
      body.rule(`${extChain} -m comment --comment ${q(`masquerade LOCAL traffic for ${spn} external destinations`)} -m addrtype --src-type LOCAL -j ${CHAINS.markMasq}`);
      body.rule(`${extChain} -m comment --comment ${q(`route LOCAL traffic for ${spn} external destinations`)} -m addrtype --src-type LOCAL -j ${shortcut}`);
    }
    if (externalEps.length > 0) body.rule(`${extChain} -j ${externalPolicyChain}`);
  }
  if (usesSvc) {
    if (podCidr) {
      for (const vip of svc.clusterIPs) {
        body.rule(`${svcChain} ! -s ${podCidr} -d ${hostCidr(vip)} ${pm} -m comment --comment ${q(`${spn} cluster IP`)} ${mm} --dport ${svc.port} -j ${CHAINS.markMasq}`);
      }
    }
    balance(body, svcChain, spn, svc, cluster, seps);
  }
  if (usesSvl) balance(body, svlChain, spn, svc, local, seps);
  for (const [ep, sep] of seps) {
    const ip = ep.slice(0, ep.lastIndexOf(':'));
    body.rule(`${sep} -s ${hostCidr(ip)} -m comment --comment ${spn} -j ${CHAINS.markMasq}`);
    const affinity = svc.affinitySeconds > 0 ? ` -m recent --set --name ${sep} --mask 255.255.255.255 --rsource` : '';
    body.rule(`${sep} ${pm} -m comment --comment ${spn}${affinity} ${mm} -j DNAT --to-destination ${ep}`);
  }
  return {
    info: svc,
    endpoints: undefined,
    filter: filter.out.join('\n'),
    filterCount: filter.rules,
    top: top.out.join('\n'),
    topCount: top.rules,
    own,
    body: body.out.join('\n'),
    bodyCount: body.rules,
    noLocal,
  };
}

/**
 * Builds the whole filter + nat (+ mangle canary on full syncs) payload for one sync, the way
 * kube-proxy's syncProxyRules lays out its chains: top-level chains are always rewritten; a
 * Service's own chains only when it changed, was never written, or on a full sync; chains no
 * longer used are flushed and deleted at the end of the nat table.
 */
export function buildRules(cfg: RuleBuilderConfig, input: SyncInput, cache: RuleCache = new RuleCache()): SyncPlan {
  const filterParts: string[] = [];
  const topParts: string[] = [];
  const chainDecls: string[] = [];
  /**
   * Chains the kernel does not have yet are created with `-N` rather than declared with `:`:
   * iptables-nft-restore 1.8.9 with --noflush is about twice as fast that way on large payloads.
   */
  const newChains: string[] = [];
  const bodyParts: string[] = [];
  let filterCount = 0;
  let natCount = 0;
  let topCount = 0;
  const serviceRules = new Map<string, number>();
  let writtenChains = 0;
  let noLocalEndpoints = 0;

  const chunkLimit = input.full && input.maxChainsPerRestore ? input.maxChainsPerRestore : 0;
  const preludes: string[][] = [];
  let chunk: { decls: string[]; bodies: string[]; chains: number } = { decls: [], bodies: [], chains: 0 };
  const flushChunk = () => {
    if (chunk.chains === 0) return;
    // SX-MARK-MASQ is rewritten (same text) in each prelude so the first one works on an empty table.
    const mmDecl = `:${CHAINS.markMasq} - [0:0]`;
    const mmRule = `-A ${CHAINS.markMasq} -j MARK --or-mark ${MASQ_MARK}`;
    preludes.push(['*nat', mmDecl, ...chunk.decls, mmRule, ...chunk.bodies, 'COMMIT', '']);
    chunk = { decls: [], bodies: [], chains: 0 };
  };
  // A partial sync touches O(changed ports) chains: `chains` starts from what the kernel holds and
  // only rebuilt or removed ports' chains move in or out (chain names are per port, never shared).
  // A cold cache (first build) has no previous chains per port to compare: scan everything then.
  const scanAll = input.full || cache.ports.size === 0;
  const chains = new Set<string>();
  const staleCandidates: string[] = [];
  const sameKeys = cache.names.length === input.services.size && cache.names.every((n) => input.services.has(n));
  if (!sameKeys) cache.names = [...input.services.keys()].sort();
  let topDirty = input.full || !sameKeys || !cache.topLevel;
  const names = cache.names;
  for (const spn of names) {
    const svc = input.services.get(spn)!;
    const eps = input.endpoints.get(endpointsKey(spn, svc.protocol));
    let r = cache.ports.get(spn);
    let rebuilt = false;
    if (!r || r.info !== svc || r.endpoints !== eps) {
      const old = r;
      r = portRules(cfg, spn, svc, eps ?? []);
      r.endpoints = eps;
      cache.ports.set(spn, r);
      if (!old || old.top !== r.top || old.filter !== r.filter) topDirty = true;
      if (old && !scanAll) for (const c of old.own) if (!r.own.includes(c)) staleCandidates.push(c);
      if (!scanAll) for (const c of r.own) chains.add(c);
      rebuilt = true;
    }
    if (r.filter) filterParts.push(r.filter);
    if (r.top) topParts.push(r.top);
    filterCount += r.filterCount;
    topCount += r.topCount;
    if (r.noLocal) noLocalEndpoints++;
    if (scanAll) for (const c of r.own) chains.add(c);
    // Unchanged ports' chains are in existingChains after any successful sync; only new, rebuilt or
    // (cold cache) all ports need the check.
    const write = input.full || input.changedServices.has(svc.service) || ((scanAll || rebuilt) && r.own.some((c) => !input.existingChains.has(c)));
    if (!write) continue;
    if (!scanAll) for (const c of r.own) chains.add(c);
    writtenChains += r.own.length;
    const decls = chunkLimit ? chunk.decls : chainDecls;
    for (const c of r.own) {
      if (input.existingChains.has(c)) decls.push(`:${c} - [0:0]`);
      else (chunkLimit ? chunk.decls : newChains).push(`-N ${c}`);
    }
    if (chunkLimit) {
      if (r.body) chunk.bodies.push(r.body);
      chunk.chains += r.own.length;
      if (chunk.chains >= chunkLimit) flushChunk();
    } else if (r.body) bodyParts.push(r.body);
    natCount += r.bodyCount;
    serviceRules.set(svc.service, (serviceRules.get(svc.service) ?? 0) + r.bodyCount);
  }
  if (!sameKeys) {
    for (const [spn, r] of cache.ports) {
      if (input.services.has(spn)) continue;
      cache.ports.delete(spn);
      if (!scanAll) for (const c of r.own) staleCandidates.push(c);
    }
  }
  flushChunk();

  const filterTop = new Lines();
  const natTop = new Lines();
  // Last rule of SX-SERVICES: hand locally addressed packets to the NodePort chain.
  const npComment = q('sextant service nodeports; NOTE: this must be the last rule in this chain');
  const notLocalhost = cfg.localhostNodePorts ? '' : ' ! -d 127.0.0.0/8';
  if (cfg.nodePortCIDRs.length === 0) {
    natTop.rule(`${CHAINS.services}${notLocalhost} -m comment --comment ${npComment} -m addrtype --dst-type LOCAL -j ${CHAINS.nodePorts}`);
  } else {
    for (const cidr of cfg.nodePortCIDRs) natTop.rule(`${CHAINS.services} -d ${cidr} -m comment --comment ${npComment} -m addrtype --dst-type LOCAL -j ${CHAINS.nodePorts}`);
  }
  natTop.rule(`${CHAINS.postrouting} -m mark ! --mark ${MASQ_MARK}/${MASQ_MARK} -j RETURN`);
  natTop.rule(`${CHAINS.postrouting} -j MARK --xor-mark ${MASQ_MARK}`);
  natTop.rule(`${CHAINS.postrouting} -m comment --comment ${q('sextant service traffic requiring SNAT')} -j MASQUERADE --random-fully`);
  natTop.rule(`${CHAINS.markMasq} -j MARK --or-mark ${MASQ_MARK}`);

  filterTop.rule(`${CHAINS.forward} -m conntrack --ctstate INVALID -j DROP`);
  filterTop.rule(`${CHAINS.forward} -m comment --comment ${q('sextant forwarding rules')} -m mark --mark ${MASQ_MARK}/${MASQ_MARK} -j ACCEPT`);
  filterTop.rule(`${CHAINS.forward} -m comment --comment ${q('sextant forwarding conntrack rule')} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`);

  // On a partial sync `chains` holds only the chains of rebuilt or written ports (the additions).
  const deletedChains = [...new Set(scanAll ? input.existingChains : staleCandidates)]
    .filter((c) => input.existingChains.has(c) && isServiceChain(c) && !chains.has(c))
    .sort();
  const chainsAdded = [...chains].filter((c) => !input.existingChains.has(c));
  let allChains: Set<string> | undefined = scanAll ? chains : undefined;
  const existing = input.existingChains;
  for (const c of deletedChains) chainDecls.push(`:${c} - [0:0]`);
  const filterDecls = [CHAINS.services, CHAINS.externalServices, CHAINS.nodePorts, CHAINS.forward].map((c) => `:${c} - [0:0]`);
  const natDecls = [CHAINS.services, CHAINS.nodePorts, CHAINS.postrouting, CHAINS.markMasq].map((c) => `:${c} - [0:0]`);

  const canary = input.full ? [`:${CHAINS.canary} - [0:0]`, `-A ${CHAINS.canary} -j RETURN`] : [];
  const topLevel: TopLevelText =
    !topDirty && cache.topLevel
      ? cache.topLevel
      : {
          filter: [filterParts.join('\n'), filterTop.out.join('\n')].join('\n'),
          nat: [topParts.join('\n'), natTop.out.join('\n')].join('\n'),
        };
  cache.topLevel = topLevel;
  const skip = !input.full && input.missingJumps.length === 0 ? input.appliedTopLevel : undefined;
  const writeFilter = skip?.filter !== topLevel.filter;
  const writeNatTop = skip?.nat !== topLevel.nat;
  // Sections are joined one by one: spreading 200k-line arrays into push() overflows the stack.
  const sections: string[][] = [];
  if (input.full) sections.push(['*mangle', ...canary, 'COMMIT']);
  if (writeFilter || input.full) {
    sections.push(['*filter'], filterDecls, canary, insertLines(input.missingJumps, 'filter'), filterParts, filterTop.out, ['COMMIT']);
  }
  sections.push(['*nat'], writeNatTop ? natDecls : [], chainDecls, canary, newChains, insertLines(input.missingJumps, 'nat'));
  sections.push(writeNatTop ? topParts : [], writeNatTop ? natTop.out : [], bodyParts);
  sections.push(deletedChains.map((c) => `-X ${c}`), ['COMMIT', '']);
  const payload = sections.filter((x) => x.length > 0).map((x) => x.join('\n')).join('\n');
  return {
    preludes,
    payload,
    get chains() {
      if (!allChains) {
        allChains = new Set(existing);
        for (const c of deletedChains) allChains.delete(c);
        for (const c of chainsAdded) allChains.add(c);
      }
      return allChains;
    },
    chainsAdded,
    chainsRemoved: deletedChains,
    deletedChains,
    writtenChains,
    writtenRules: { filter: writeFilter || input.full ? filterCount + filterTop.rules : 0, nat: natCount + (writeNatTop ? topCount + natTop.rules : 0) },
    topLevelRules: { filter: filterCount + filterTop.rules, nat: topCount + natTop.rules },
    serviceRules,
    noLocalEndpoints,
    topLevel,
  };
}

/** `-I CHAIN 1` lines, in reverse so the hooks end up in JUMP_RULES order at the top. */
function insertLines(jumps: readonly JumpRule[], table: JumpRule['table']): string[] {
  return jumps
    .filter((j) => j.table === table)
    .reverse()
    .map((j) => {
      const [chain, ...rest] = jumpRuleText(j).split(' ');
      return `-I ${chain} 1 ${rest.join(' ')}`;
    });
}

/** Session-affinity rules (when enabled), then one random rule per endpoint with probability 1/(n−i). */
function balance(lines: Lines, chain: string, spn: string, svc: ServicePortInfo, eps: readonly EndpointInfo[], seps: Map<string, string>): void {
  if (svc.affinitySeconds > 0) {
    for (const e of eps) {
      const sep = seps.get(endpointString(e))!;
      lines.rule(`${chain} -m comment --comment ${q(`${spn} -> ${endpointString(e)}`)} -m recent --rcheck --seconds ${svc.affinitySeconds} --reap --name ${sep} --mask 255.255.255.255 --rsource -j ${sep}`);
    }
  }
  const n = eps.length;
  eps.forEach((e, i) => {
    const sep = seps.get(endpointString(e))!;
    const stat = i < n - 1 ? ` -m statistic --mode random --probability ${probability(n - i)}` : '';
    lines.rule(`${chain} -m comment --comment ${q(`${spn} -> ${endpointString(e)}`)}${stat} -j ${sep}`);
  });
}
