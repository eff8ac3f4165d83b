/**
 * Field selectors (`metadata.name=x,status.phase!=Running`): parsing, the fields each kind
 * supports (as Kubernetes does), and matching against an object.
 */
import { SelectorError } from './errors.js';

export interface FieldRequirement {
  field: string;
  operator: '=' | '!=';
  value: string;
}

export interface ParsedFieldSelector {
  requirements: FieldRequirement[];
}

const common = ['metadata.name', 'metadata.namespace'];

/** Fields each kind can be selected on, beyond metadata.name and metadata.namespace. */
export const FIELD_SELECTOR_FIELDS: Record<string, readonly string[]> = {
  Pod: ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.nominatedNodeName'],
  Event: ['involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'source', 'type'],
  Node: ['spec.unschedulable'],
  Namespace: ['status.phase'],
  Service: ['spec.clusterIP', 'spec.type'],
  ReplicaSet: ['status.replicas'],
};

/** Every field selector field supported for `kind`. */
export function fieldSelectorFields(kind: string): string[] {
  return [...common, ...(FIELD_SELECTOR_FIELDS[kind] ?? [])];
}

/** Splits on unescaped `sep`; `\` escapes `\`, `,`, `=` and `!`. */
function splitUnescaped(text: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) { cur += c + text[i + 1]; i++; continue; }
    if (c === sep) { out.push(cur); cur = ''; continue; }
    cur += c;
  }
  out.push(cur);
  return out;
}

function unescape(v: string): string {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c === '\\') {
      const n = v[i + 1];
      if (n === undefined || !'\\,=!'.includes(n)) throw new SelectorError('FieldSelector', `invalid escape sequence in "${v}"`);
      out += n;
      i++;
    } else if (c === ',' || c === '=') {
      throw new SelectorError('FieldSelector', `"${v}": '${c}' must be escaped in a value`);
    } else out += c;
  }
  return out;
}

/**
 * Parses the text form; the empty string selects everything. With `kind`, fields the kind does
 * not support are rejected, as the Kubernetes API server does. Throws SelectorError.
 */
export function parseFieldSelector(text: string, kind?: string): ParsedFieldSelector {
  const requirements: FieldRequirement[] = [];
  if (text.trim() === '') return { requirements };
  for (const part of splitUnescaped(text, ',')) {
    const m = /^([^=!]*?)\s*(!=|==|=)(.*)$/.exec(part);
    if (!m) throw new SelectorError('FieldSelector', `invalid selector "${part}": expected FIELD=VALUE, FIELD==VALUE or FIELD!=VALUE`);
    const field = m[1]!.trim();
    if (field === '') throw new SelectorError('FieldSelector', `invalid selector "${part}": the field is empty`);
    if (kind !== undefined) {
      const allowed = fieldSelectorFields(kind);
      if (!allowed.includes(field)) {
        throw new SelectorError('FieldSelector', `"${field}" is not a known field selector for ${kind}: only ${allowed.map((f) => `"${f}"`).join(', ')}`);
      }
    }
    requirements.push({ field, operator: m[2] === '!=' ? '!=' : '=', value: unescape(m[3]!.trim()) });
  }
  return { requirements };
}

/** The string value of a dotted field of `obj` as field selectors see it (missing → ""). */
export function fieldValue(obj: unknown, field: string): string {
  if (field === 'source') {
    const src = (obj as { source?: { component?: string } } | undefined)?.source;
    return src?.component ?? '';
  }
  let cur: unknown = obj;
  for (const part of field.split('.')) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === undefined || cur === null) {
    return field === 'spec.hostNetwork' || field === 'spec.unschedulable' ? 'false' : '';
  }
  return typeof cur === 'string' ? cur : typeof cur === 'object' ? JSON.stringify(cur) : String(cur);
}

/** True when `obj` satisfies every requirement. */
export function matchesFields(selector: ParsedFieldSelector, obj: unknown): boolean {
  return selector.requirements.every((r) => (fieldValue(obj, r.field) === r.value) === (r.operator === '='));
}

/** The text form, escaping `\`, `,` and `=` in values. */
export function formatFieldSelector(selector: ParsedFieldSelector): string {
  return selector.requirements.map((r) => `${r.field}${r.operator}${r.value.replace(/[\\,=]/g, (c) => `\\${c}`)}`).join(',');
}
