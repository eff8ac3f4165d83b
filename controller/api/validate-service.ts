/** Service validation on create and update. */
import type { FieldErrors } from './field-errors.js';
import { cidrProblem, dns1123LabelProblem, dns1123SubdomainProblem, ipFamilyOf, ipProblem, portNameProblem } from './names.js';
import type { Service, ServiceSpec } from './service.js';
import { validateLabels } from './validate-meta.js';
import { PROTOCOLS } from './validate-pod.js';

const TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'] as const;

export function validateServiceSpec(errs: FieldErrors, spec: ServiceSpec): void {
  const type = spec.type ?? 'ClusterIP';
  errs.oneOf('spec.type', spec.type, TYPES);
  const headless = spec.clusterIP === 'None';
  const ports = spec.ports ?? [];
  if (type === 'ExternalName') {
    if (!spec.externalName) errs.required('spec.externalName');
    else errs.check('spec.externalName', spec.externalName.replace(/\.$/, ''), dns1123SubdomainProblem);
    if (spec.clusterIP && spec.clusterIP !== 'None') errs.forbidden('spec.clusterIP', 'may not be set for ExternalName services');
  } else if (ports.length === 0 && !headless) {
    errs.required('spec.ports');
  }
  if (headless && (type === 'NodePort' || type === 'LoadBalancer')) {
    errs.invalid('spec.clusterIP', 'None', `may not be set to 'None' for ${type} services`);
  }
  const names = new Set<string>();
  const keys = new Set<string>();
  for (const [i, p] of ports.entries()) {
    const f = `spec.ports[${i}]`;
    if (ports.length > 1 && !p.name) errs.required(`${f}.name`);
    if (p.name) {
      errs.check(`${f}.name`, p.name, dns1123LabelProblem);
      if (names.has(p.name)) errs.duplicate(`${f}.name`, p.name);
      names.add(p.name);
    }
    errs.inRange(`${f}.port`, p.port, 1, 65535);
    errs.oneOf(`${f}.protocol`, p.protocol, PROTOCOLS);
    const key = `${p.port}/${p.protocol ?? 'TCP'}`;
    if (keys.has(key)) errs.duplicate(f, { port: p.port, protocol: p.protocol ?? 'TCP' });
    keys.add(key);
    if (typeof p.targetPort === 'number') {
      errs.inRange(`${f}.targetPort`, p.targetPort, 1, 65535);
    } else if (typeof p.targetPort === 'string') {
      errs.check(`${f}.targetPort`, p.targetPort, portNameProblem);
    }
    if (p.nodePort !== undefined && p.nodePort !== 0) {
      if (type === 'ClusterIP' || type === 'ExternalName') errs.forbidden(`${f}.nodePort`, `may not be used when \`type\` is '${type}'`);
      else errs.inRange(`${f}.nodePort`, p.nodePort, 1, 65535);
    }
  }
  if (spec.clusterIP && spec.clusterIP !== 'None' && type !== 'ExternalName') errs.check('spec.clusterIP', spec.clusterIP, ipProblem);
  for (const [i, ip] of (spec.clusterIPs ?? []).entries()) {
    if (ip !== 'None') errs.check(`spec.clusterIPs[${i}]`, ip, ipProblem);
  }
  if (spec.clusterIP && spec.clusterIPs?.[0] !== undefined && spec.clusterIPs[0] !== spec.clusterIP) {
    errs.invalid('spec.clusterIPs', spec.clusterIPs, 'first value must match `clusterIP`');
  }
  errs.oneOf('spec.sessionAffinity', spec.sessionAffinity, ['None', 'ClientIP']);
  const timeout = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
  if (timeout !== undefined) {
    if (spec.sessionAffinity !== 'ClientIP') errs.forbidden('spec.sessionAffinityConfig', "must not be set when session affinity is 'None'");
    else errs.inRange('spec.sessionAffinityConfig.clientIP.timeoutSeconds', timeout, 1, 86400);
  }
  errs.oneOf('spec.externalTrafficPolicy', spec.externalTrafficPolicy, ['Cluster', 'Local']);
  if (spec.externalTrafficPolicy && type !== 'NodePort' && type !== 'LoadBalancer') {
    errs.invalid('spec.externalTrafficPolicy', spec.externalTrafficPolicy, "may only be set when `type` is 'NodePort' or 'LoadBalancer'");
  }
  errs.oneOf('spec.internalTrafficPolicy', spec.internalTrafficPolicy, ['Cluster', 'Local']);
  if (spec.healthCheckNodePort && !(type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local')) {
    errs.invalid('spec.healthCheckNodePort', spec.healthCheckNodePort, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'");
  }
  errs.oneOf('spec.ipFamilyPolicy', spec.ipFamilyPolicy, ['SingleStack', 'PreferDualStack', 'RequireDualStack']);
  const families = spec.ipFamilies ?? [];
  for (const [i, fam] of families.entries()) {
    errs.oneOf(`spec.ipFamilies[${i}]`, fam, ['IPv4', 'IPv6']);
    if (families.indexOf(fam) !== i) errs.duplicate(`spec.ipFamilies[${i}]`, fam);
  }
  if (families.length > 2) errs.tooMany('spec.ipFamilies', families.length, 2);
  if (spec.ipFamilyPolicy === 'SingleStack' && families.length > 1) {
    errs.invalid('spec.ipFamilies', families, 'must be one family when `ipFamilyPolicy` is SingleStack');
  }
  for (const [i, ip] of (spec.clusterIPs ?? []).entries()) {
    const fam = ipFamilyOf(ip);
    if (fam && families[i] && families[i] !== fam) errs.invalid(`spec.clusterIPs[${i}]`, ip, `expected an ${families[i]} address`);
  }
  for (const [i, ip] of (spec.externalIPs ?? []).entries()) errs.check(`spec.externalIPs[${i}]`, ip, ipProblem);
  for (const [i, c] of (spec.loadBalancerSourceRanges ?? []).entries()) errs.check(`spec.loadBalancerSourceRanges[${i}]`, c.trim(), cidrProblem);
  validateLabels(errs, 'spec.selector', spec.selector);
}

/** Update rules: the cluster IP may not change once set (except across ExternalName). */
export function validateServiceUpdate(errs: FieldErrors, svc: Service, old: Service): void {
  const wasExternal = old.spec.type === 'ExternalName';
  const isExternal = svc.spec.type === 'ExternalName';
  if (wasExternal || isExternal) return;
  const before = old.spec.clusterIP;
  const after = svc.spec.clusterIP;
  if (before && after && before !== after) errs.immutable('spec.clusterIP', after);
  const beforeAll = old.spec.clusterIPs ?? [];
  const afterAll = svc.spec.clusterIPs ?? [];
  if (beforeAll[0] !== undefined && afterAll[0] !== undefined && beforeAll[0] !== afterAll[0]) {
    errs.invalid('spec.clusterIPs[0]', afterAll[0], 'may not change once set');
  }
}
