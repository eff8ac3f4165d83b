/** Validation of the smaller kinds: Endpoints, EndpointSlice, Node, Event, Lease, Binding, Scale. */
import type { Binding, Event } from './event.js';
import type { EndpointSlice } from './endpoint-slice.js';
import type { Endpoints } from './endpoints.js';
import type { FieldErrors } from './field-errors.js';
import type { Lease } from './lease.js';
import { cidrProblem, dns1123LabelProblem, dns1123SubdomainProblem, ipFamilyOf, ipProblem, qualifiedNameProblem } from './names.js';
import type { Node } from './node.js';
import type { Scale } from './scale.js';
import { PROTOCOLS } from './validate-pod.js';

export function validateEndpoints(errs: FieldErrors, e: Endpoints): void {
  for (const [i, s] of (e.subsets ?? []).entries()) {
    const f = `subsets[${i}]`;
    for (const [list, addrs] of [['addresses', s.addresses ?? []], ['notReadyAddresses', s.notReadyAddresses ?? []]] as const) {
      for (const [j, a] of addrs.entries()) {
        errs.check(`${f}.${list}[${j}].ip`, a.ip, ipProblem);
        if (a.hostname) errs.check(`${f}.${list}[${j}].hostname`, a.hostname, dns1123LabelProblem);
        if (a.nodeName) errs.check(`${f}.${list}[${j}].nodeName`, a.nodeName, dns1123SubdomainProblem);
      }
    }
    for (const [j, p] of (s.ports ?? []).entries()) {
      errs.inRange(`${f}.ports[${j}].port`, p.port, 1, 65535);
      errs.oneOf(`${f}.ports[${j}].protocol`, p.protocol, PROTOCOLS);
      if (p.name) errs.check(`${f}.ports[${j}].name`, p.name, dns1123LabelProblem);
    }
  }
}

const ADDRESS_TYPES = ['IPv4', 'IPv6', 'FQDN'] as const;

export function validateEndpointSlice(errs: FieldErrors, s: EndpointSlice): void {
  errs.oneOf('addressType', s.addressType, ADDRESS_TYPES);
  if (s.endpoints.length > 1000) errs.tooMany('endpoints', s.endpoints.length, 1000);
  for (const [i, ep] of s.endpoints.entries()) {
    const f = `endpoints[${i}]`;
    if (ep.addresses.length === 0) errs.required(`${f}.addresses`, 'must contain at least 1 address');
    if (ep.addresses.length > 100) errs.tooMany(`${f}.addresses`, ep.addresses.length, 100);
    for (const [j, a] of ep.addresses.entries()) {
      if (s.addressType === 'FQDN') errs.check(`${f}.addresses[${j}]`, a, dns1123SubdomainProblem);
      else if (s.addressType === 'IPv4' || s.addressType === 'IPv6') {
        if (ipFamilyOf(a) !== s.addressType) errs.invalid(`${f}.addresses[${j}]`, a, `must be a valid ${s.addressType} address`);
      }
    }
    if (ep.hostname) errs.check(`${f}.hostname`, ep.hostname, dns1123LabelProblem);
    if (ep.nodeName) errs.check(`${f}.nodeName`, ep.nodeName, dns1123SubdomainProblem);
  }
  const ports = s.ports ?? [];
  if (ports.length > 100) errs.tooMany('ports', ports.length, 100);
  const names = new Set<string>();
  for (const [i, p] of ports.entries()) {
    const name = p.name ?? '';
    if (name) errs.check(`ports[${i}].name`, name, dns1123LabelProblem);
    if (names.has(name)) errs.duplicate(`ports[${i}].name`, name);
    names.add(name);
    errs.inRange(`ports[${i}].port`, p.port, 0, 65535);
    errs.oneOf(`ports[${i}].protocol`, p.protocol, PROTOCOLS);
  }
}

export function validateEndpointSliceUpdate(errs: FieldErrors, s: EndpointSlice, old: EndpointSlice): void {
  if (s.addressType !== old.addressType) errs.immutable('addressType', s.addressType);
}

export function validateNode(errs: FieldErrors, n: Node): void {
  const spec = n.spec;
  if (!spec) return;
  if (spec.podCIDR) errs.check('spec.podCIDR', spec.podCIDR, cidrProblem);
  for (const [i, c] of (spec.podCIDRs ?? []).entries()) errs.check(`spec.podCIDRs[${i}]`, c, cidrProblem);
  if (spec.podCIDR && spec.podCIDRs?.[0] !== undefined && spec.podCIDRs[0] !== spec.podCIDR) {
    errs.invalid('spec.podCIDRs', spec.podCIDRs, 'first value must match `podCIDR`');
  }
  if ((spec.podCIDRs ?? []).length > 2) errs.tooMany('spec.podCIDRs', spec.podCIDRs?.length ?? 0, 2);
  const seen = new Set<string>();
  for (const [i, t] of (spec.taints ?? []).entries()) {
    errs.check(`spec.taints[${i}].key`, t.key, qualifiedNameProblem);
    errs.oneOf(`spec.taints[${i}].effect`, t.effect, ['NoSchedule', 'PreferNoSchedule', 'NoExecute']);
    const key = `${t.key}:${t.effect}`;
    if (seen.has(key)) errs.duplicate(`spec.taints[${i}]`, key);
    seen.add(key);
  }
}

export function validateNodeUpdate(errs: FieldErrors, n: Node, old: Node): void {
  const before = old.spec?.podCIDRs ?? (old.spec?.podCIDR ? [old.spec.podCIDR] : []);
  const after = n.spec?.podCIDRs ?? (n.spec?.podCIDR ? [n.spec.podCIDR] : []);
  if (before.length > 0 && JSON.stringify(before) !== JSON.stringify(after)) {
    errs.forbidden('spec.podCIDRs', 'node updates may not change podCIDR except from "" to valid');
  }
}

export function validateEvent(errs: FieldErrors, e: Event): void {
  const ns = e.involvedObject.namespace;
  if (ns && e.metadata.namespace && ns !== e.metadata.namespace) {
    errs.invalid('involvedObject.namespace', ns, 'does not match event.namespace');
  }
  errs.oneOf('type', e.type, ['Normal', 'Warning']);
  if (e.count !== undefined) errs.nonNegative('count', e.count);
}

export function validateLease(errs: FieldErrors, l: Lease): void {
  const d = l.spec?.leaseDurationSeconds;
  if (d !== undefined && d <= 0) errs.invalid('spec.leaseDurationSeconds', d, 'must be greater than 0');
  errs.nonNegative('spec.leaseTransitions', l.spec?.leaseTransitions);
}

export function validateBinding(errs: FieldErrors, b: Binding): void {
  if (!b.target.name) errs.required('target.name');
  if (b.target.kind && b.target.kind !== 'Node') errs.notSupported('target.kind', b.target.kind, ['Node']);
}

export function validateScale(errs: FieldErrors, s: Scale): void {
  errs.nonNegative('spec.replicas', s.spec?.replicas);
}
