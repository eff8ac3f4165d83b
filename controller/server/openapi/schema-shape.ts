import type { FieldPatchMeta } from '../patch/merge-keys.js';

/** A JSON/OpenAPI schema node as plain data. */
export type SchemaObject = { [key: string]: unknown };

const isObject = (v: unknown): v is SchemaObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const REF_PREFIX = '#/components/schemas/';
const PATCH_KEYS = ['x-kubernetes-patch-merge-key', 'x-kubernetes-patch-strategy'];

export const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
export const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';

/** The scalar components int-or-string fields refer to; without a `type`, kubectl explain names them (`<IntOrString>`) as against a real cluster. */
export const SCALAR_COMPONENTS: Record<string, SchemaObject> = {
  [INT_OR_STRING]: { description: 'An integer or a string, e.g. a port number or a port name.', format: 'int-or-string', 'x-kubernetes-int-or-string': true },
  [QUANTITY]: { description: 'A fixed-point quantity such as 500m, 128Mi or 2.', 'x-kubernetes-int-or-string': true },
};

/**
 * Reshapes zod's JSON Schema into what Kubernetes publishes and kubectl reads: no `$id`/`$schema`,
 * no ±2^53 bounds on integers, int-or-string fields as `allOf: [{$ref: IntOrString}]` (or Quantity)
 * the way Kubernetes publishes them (kubectl explain then prints `<IntOrString>`),
 * `$ref` with siblings wrapped as `allOf: [{$ref}]` (OpenAPI 3.0 ignores siblings of `$ref`),
 * and no strategic-merge extensions (the patch table adds the authoritative ones afterwards).
 */
export const toOpenApi30 = (node: unknown): SchemaObject => {
  if (!isObject(node)) return {};
  const out: SchemaObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$id' || key === '$schema' || key === 'id' || PATCH_KEYS.includes(key)) continue;
    if ((key === 'minimum' || key === 'maximum') && Math.abs(value as number) === Number.MAX_SAFE_INTEGER) continue;
    if (key === 'properties' && isObject(value)) {
      out.properties = Object.fromEntries(Object.entries(value).map(([p, s]) => [p, toOpenApi30(s)]));
    } else if ((key === 'items' || key === 'additionalProperties' || key === 'not') && isObject(value)) {
      out[key] = toOpenApi30(value);
    } else if ((key === 'anyOf' || key === 'oneOf' || key === 'allOf') && Array.isArray(value)) {
      out[key] = value.map(toOpenApi30);
    } else {
      out[key] = value;
    }
  }
  if (out['x-kubernetes-int-or-string'] === true) {
    const { anyOf: _a, oneOf: _o, type: _t, 'x-kubernetes-int-or-string': _x, ...rest } = out;
    const quantity = typeof rest.description === 'string' && rest.description.startsWith('A resource quantity');
    return { ...rest, allOf: [{ $ref: `${REF_PREFIX}${quantity ? QUANTITY : INT_OR_STRING}` }] };
  }
  if (typeof out.$ref === 'string' && Object.keys(out).length > 1) {
    const { $ref, ...rest } = out;
    return { ...rest, allOf: [{ $ref }] };
  }
  return out;
};

/** The component a `$ref` (or a single-`allOf` wrapper) points at, if any. */
const refTarget = (node: SchemaObject): string | undefined => {
  const ref = typeof node.$ref === 'string' ? node.$ref : Array.isArray(node.allOf) && node.allOf.length === 1 && isObject(node.allOf[0]) ? node.allOf[0].$ref : undefined;
  return typeof ref === 'string' && ref.startsWith(REF_PREFIX) ? ref.slice(REF_PREFIX.length) : undefined;
};

/**
 * Writes `x-kubernetes-patch-strategy` / `x-kubernetes-patch-merge-key` on the property schemas
 * at the field paths of the patch table (`spec.template.spec.containers[].ports`), following
 * `$ref`s into shared components, so OpenAPI and the server's merge agree by construction.
 */
export const applyPatchExtensions = (schemas: Record<string, SchemaObject>, root: string, fields: Readonly<Record<string, FieldPatchMeta>>): void => {
  const wanted = Object.keys(fields);
  const walk = (node: SchemaObject, path: string, depth: number): void => {
    if (depth > 40) return;
    const target = refTarget(node);
    const resolved = target ? schemas[target] : node;
    if (!resolved) return;
    const properties = isObject(resolved.properties) ? resolved.properties : {};
    for (const [name, child] of Object.entries(properties)) {
      if (!isObject(child)) continue;
      const childPath = path ? `${path}.${name}` : name;
      if (!wanted.some((w) => w === childPath || w.startsWith(`${childPath}.`) || w.startsWith(`${childPath}[]`))) continue;
      const meta = fields[childPath];
      if (meta) {
        child['x-kubernetes-patch-strategy'] = meta.strategy;
        if (meta.mergeKey) child['x-kubernetes-patch-merge-key'] = meta.mergeKey;
      }
      if (isObject(child.items)) walk(child.items, `${childPath}[]`, depth + 1);
      else walk(child, childPath, depth + 1);
    }
  };
  const rootSchema = schemas[root];
  if (rootSchema) walk(rootSchema, '', 0);
};
