/**
 * Query parameters of list, watch, write and delete requests, validated with zod: every bad
 * value is a 400 Status naming the parameter.
 */
import { z } from 'zod';
import type { KindInfo } from '../api/kinds.js';
import { errors } from './errors.js';
import type { ApiModel } from './model.js';
import type { Selectors } from './resource-registry.js';
import type { IncludeObject } from './table-output.js';

const boolParam = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const intParam = (name: string) =>
  z.string().regex(/^-?\d+$/, `${name}: must be an integer`).transform((v) => Number(v));

const listQuerySchema = z.object({
  labelSelector: z.string().optional(),
  fieldSelector: z.string().optional(),
  limit: intParam('limit').pipe(z.number().min(0, 'limit: must be >= 0')).optional(),
  continue: z.string().optional(),
  resourceVersion: z.string().regex(/^\d*$/, 'resourceVersion: must be a decimal revision').optional(),
  timeoutSeconds: intParam('timeoutSeconds').pipe(z.number().min(0, 'timeoutSeconds: must be >= 0')).optional(),
  allowWatchBookmarks: boolParam.optional(),
  includeObject: z.enum(['None', 'Metadata', 'Object'], { message: 'includeObject: must be None, Metadata or Object' }).optional(),
});
export type ListParams = z.output<typeof listQuerySchema>;

const writeQuerySchema = z.object({
  fieldValidation: z.enum(['Strict', 'Warn', 'Ignore'], { message: 'fieldValidation: must be Strict, Warn or Ignore' }).optional(),
  fieldManager: z.string().optional(),
  dryRun: z.string().optional(),
  force: boolParam.optional(),
  gracePeriodSeconds: intParam('gracePeriodSeconds').optional(),
  propagationPolicy: z.enum(['Foreground', 'Background', 'Orphan'], { message: 'propagationPolicy: must be Foreground, Background or Orphan' }).optional(),
});
export type WriteParams = z.output<typeof writeQuerySchema>;

function toRecord(q: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of q) out[k] = v;
  return out;
}

function parseWith<T extends z.ZodType>(schema: T, q: URLSearchParams): z.output<T> {
  // Most writes carry no query at all (every parameter is optional): skip the schema.
  if (q.size === 0) return {} as z.output<T>;
  const r = schema.safeParse(toRecord(q));
  if (!r.success) throw errors.badRequest(r.error.issues.map((i) => i.message).join('; '));
  return r.data;
}

export const parseListParams = (q: URLSearchParams): ListParams => parseWith(listQuerySchema, q);
export const parseWriteParams = (q: URLSearchParams): WriteParams => parseWith(writeQuerySchema, q);

/** Compiles the selectors of a list or watch; a bad selector is a 400 naming it. */
export function compileSelectors(model: ApiModel, kind: KindInfo, p: ListParams, name?: string): Selectors {
  const s: Selectors = {};
  try {
    if (p.labelSelector) s.label = model.labelSelector(p.labelSelector);
  } catch (e) {
    throw errors.badRequest(`unable to parse requirement: labelSelector: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    const parts = [p.fieldSelector, name !== undefined ? `metadata.name=${name}` : undefined].filter(Boolean).join(',');
    if (parts) s.field = model.fieldSelector(kind, parts);
  } catch (e) {
    throw errors.badRequest(`fieldSelector: ${e instanceof Error ? e.message : String(e)}`);
  }
  return s;
}

/** `dryRun=All` → true; absent → false; any other value is a 400, as Kubernetes answers. */
export function dryRunOf(values: readonly string[] | string | undefined): boolean {
  if (values === undefined) return false;
  const list = typeof values === 'string' ? [values] : values;
  if (list.length === 0) return false;
  for (const v of list) if (v !== 'All') throw errors.badRequest(`dryRun: Unsupported value: "${v}": supported values: "All"`);
  return true;
}

export const includeObjectOf = (p: ListParams): IncludeObject => p.includeObject ?? 'Metadata';
