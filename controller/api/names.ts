/**
 * Name and value syntax checks shared by validation and selectors. Each returns a problem
 * description (without the field) or null when the value is fine.
 */
import { Address6 } from 'ip-address';

const label1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const subdomain1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const label1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const qualifiedNamePart = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** DNS-1123 label: namespaces, container names, port names of services. */
export function dns1123LabelProblem(v: string): string | null {
  if (v.length > 63) return 'must be no more than 63 characters';
  if (!label1123.test(v)) {
    return "must be a lowercase RFC 1123 label: lower-case letters, digits or '-', starting and ending with a letter or digit (e.g. 'my-name' or '123-abc')";
  }
  return null;
}

/** DNS-1123 subdomain: the name of most objects. */
export function dns1123SubdomainProblem(v: string): string | null {
  if (v.length > 253) return 'must be no more than 253 characters';
  if (!subdomain1123.test(v)) {
    return "must be a lowercase RFC 1123 subdomain: lower-case letters, digits, '-' or '.', starting and ending with a letter or digit (e.g. 'example.com')";
  }
  return null;
}

/** DNS-1035 label: Service names (they become DNS labels and env var prefixes). */
export function dns1035LabelProblem(v: string): string | null {
  if (v.length > 63) return 'must be no more than 63 characters';
  if (!label1035.test(v)) {
    return "must be a DNS-1035 label: lower-case letters, digits or '-', starting with a letter and ending with a letter or digit (e.g. 'my-name' or 'abc-123')";
  }
  return null;
}

/** A qualified name (`prefix/name` or `name`): label and annotation keys. */
export function qualifiedNameProblem(v: string): string | null {
  const parts = v.split('/');
  let name = v;
  if (parts.length === 2) {
    const [prefix, rest] = parts as [string, string];
    if (prefix.length === 0) return 'prefix part must be non-empty';
    const p = dns1123SubdomainProblem(prefix);
    if (p) return `prefix part ${p}`;
    name = rest;
  } else if (parts.length > 2) {
    return "a qualified name must be 'name' or 'prefix/name' (e.g. 'example.com/MyName')";
  }
  if (name.length === 0) return 'name part must be non-empty';
  if (name.length > 63) return 'name part must be no more than 63 characters';
  if (!qualifiedNamePart.test(name)) {
    return "name part must consist of alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric (e.g. 'MyName', 'my.name' or '123-abc')";
  }
  return null;
}

export const labelKeyProblem = qualifiedNameProblem;

/** A label value: empty, or up to 63 alphanumerics with '-', '_', '.' inside. */
export function labelValueProblem(v: string): string | null {
  if (v.length > 63) return 'must be no more than 63 characters';
  if (!labelValue.test(v)) {
    return "a valid label value must be empty or consist of alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric";
  }
  return null;
}

/** IANA_SVC_NAME: container port names and named targetPorts. */
export function portNameProblem(v: string): string | null {
  if (v.length > 15) return 'must be no more than 15 characters';
  if (!/^[-a-z0-9]+$/.test(v)) return "must contain only lower-case letters, digits or '-'";
  if (!/[a-z]/.test(v)) return 'must contain at least one letter';
  if (v.includes('--')) return "must not contain consecutive hyphens ('--')";
  if (v.startsWith('-') || v.endsWith('-')) return "must not begin or end with a hyphen ('-')";
  return null;
}

const ipv4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** The address family of `v`, or null when it is not an IP address. */
export function ipFamilyOf(v: string): 'IPv4' | 'IPv6' | null {
  if (ipv4.test(v)) return 'IPv4';
  if (v.includes(':') && !v.includes('/') && !v.includes('%') && Address6.isValid(v)) return 'IPv6';
  return null;
}

export function ipProblem(v: string): string | null {
  return ipFamilyOf(v) ? null : 'must be a valid IP address (e.g. 10.9.8.7 or 2001:db8::ffff)';
}

export function cidrProblem(v: string): string | null {
  const [ip, bits, extra] = v.split('/');
  const family = ip === undefined ? null : ipFamilyOf(ip);
  const max = family === 'IPv4' ? 32 : 128;
  if (!family || extra !== undefined || bits === undefined || !/^\d{1,3}$/.test(bits) || Number(bits) > max) {
    return 'must be a valid CIDR value (e.g. 10.9.8.0/24 or 2001:db8::/64)';
  }
  return null;
}
