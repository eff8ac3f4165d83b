import { PatchError } from './errors.js';
import { cloneJson, isJsonObject, jsonEqual, jsonType, type JsonObject, type JsonValue } from './json.js';
import { isArrayIndex, parsePointer } from './json-pointer.js';

/** One RFC 6902 operation as it arrives on the wire. */
export type JsonPatchOperation =
  | { op: 'add' | 'replace' | 'test'; path: string; value: JsonValue }
  | { op: 'remove'; path: string }
  | { op: 'move' | 'copy'; from: string; path: string };

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

/** Checks the wire shape of a JSON patch document; errors name the operation index and field. */
export const parseJsonPatch = (body: unknown): JsonPatchOperation[] => {
  if (!Array.isArray(body)) {
    throw new PatchError('MalformedPatch', `a JSON patch must be an array of operations, got ${jsonType(body as JsonValue)}`);
  }
  return body.map((raw: unknown, i): JsonPatchOperation => {
    if (!isJsonObject(raw)) throw new PatchError('MalformedPatch', `operation ${i}: must be an object`);
    const { op, path } = raw;
    if (typeof op !== 'string' || !OPS.has(op)) {
      throw new PatchError('MalformedPatch', `operation ${i}: op must be one of add, remove, replace, move, copy, test; got ${JSON.stringify(op ?? null)}`);
    }
    if (typeof path !== 'string') throw new PatchError('MalformedPatch', `operation ${i} (${op}): path must be a string`);
    switch (op) {
      case 'add':
      case 'replace':
      case 'test':
        if (!Object.hasOwn(raw, 'value')) throw new PatchError('MalformedPatch', `operation ${i} (${op} ${path}): value is required`);
        return { op, path, value: raw.value as JsonValue };
      case 'remove':
        return { op, path };
      default: {
        const from = raw.from;
        if (typeof from !== 'string') throw new PatchError('MalformedPatch', `operation ${i} (${op} ${path}): from must be a string`);
        return { op: op as 'move' | 'copy', from, path };
      }
    }
  });
};

type Container = JsonObject | JsonValue[];

/** Where a pointer lands: its parent container and the last token (undefined for the root). */
interface Location {
  parent: Container | undefined;
  token: string | undefined;
}

const fail = (what: string, problem: string) => new PatchError('PatchNotApplicable', `${what}: ${problem}`);

const locate = (doc: JsonValue, tokens: string[], what: string): Location => {
  if (tokens.length === 0) return { parent: undefined, token: undefined };
  let node: JsonValue = doc;
  for (let i = 0; i < tokens.length - 1; i++) {
    const token = tokens[i] as string;
    const next = child(node, token);
    if (next === undefined) throw fail(what, `path /${tokens.slice(0, i + 1).join('/')} does not exist`);
    node = next;
  }
  if (!Array.isArray(node) && !isJsonObject(node)) {
    throw fail(what, `cannot step into a ${jsonType(node)} at /${tokens.slice(0, -1).join('/')}`);
  }
  return { parent: node, token: tokens[tokens.length - 1] };
};

const child = (node: JsonValue, token: string): JsonValue | undefined => {
  if (Array.isArray(node)) return isArrayIndex(token) ? node[Number(token)] : undefined;
  if (isJsonObject(node)) return Object.hasOwn(node, token) ? node[token] : undefined;
  return undefined;
};

const read = (doc: JsonValue, loc: Location, what: string, pointer: string): JsonValue => {
  if (loc.parent === undefined) return doc;
  const value = child(loc.parent, loc.token as string);
  if (value === undefined) throw fail(what, `path ${pointer} does not exist`);
  return value;
};

/** Inserts (arrays) or sets (objects); returns the new document (changes only at the root). */
const add = (doc: JsonValue, loc: Location, value: JsonValue, what: string, pointer: string): JsonValue => {
  const { parent, token } = loc;
  if (parent === undefined) return value;
  if (Array.isArray(parent)) {
    const index = token === '-' ? parent.length : isArrayIndex(token as string) ? Number(token) : NaN;
    if (!(index >= 0 && index <= parent.length)) {
      throw fail(what, `array index ${JSON.stringify(token)} in ${pointer} is out of bounds (length ${parent.length})`);
    }
    parent.splice(index, 0, value);
  } else {
    parent[token as string] = value;
  }
  return doc;
};

const remove = (doc: JsonValue, loc: Location, what: string, pointer: string): JsonValue => {
  const { parent, token } = loc;
  if (parent === undefined) return null;
  if (Array.isArray(parent)) {
    if (!isArrayIndex(token as string) || Number(token) >= parent.length) {
      throw fail(what, `array index ${JSON.stringify(token)} in ${pointer} is out of bounds (length ${parent.length})`);
    }
    parent.splice(Number(token), 1);
  } else {
    if (!Object.hasOwn(parent, token as string)) throw fail(what, `path ${pointer} does not exist`);
    delete parent[token as string];
  }
  return doc;
};

/**
 * RFC 6902 JSON patch (`application/json-patch+json`), all operations or none: the operations run
 * in order on a copy, and the first failure throws a PatchError naming its index, op and path.
 */
export const applyJsonPatch = (original: JsonValue, body: unknown): JsonValue => {
  const ops = parseJsonPatch(body);
  let doc = cloneJson(original);
  ops.forEach((op, i) => {
    const what = `operation ${i} (${op.op} ${op.path})`;
    const tokens = parsePointer(op.path, what);
    switch (op.op) {
      case 'add':
        doc = add(doc, locate(doc, tokens, what), cloneJson(op.value), what, op.path);
        break;
      case 'remove':
        doc = remove(doc, locate(doc, tokens, what), what, op.path);
        break;
      case 'replace': {
        const loc = locate(doc, tokens, what);
        read(doc, loc, what, op.path);
        if (loc.parent === undefined) doc = cloneJson(op.value);
        else if (Array.isArray(loc.parent)) loc.parent[Number(loc.token)] = cloneJson(op.value);
        else loc.parent[loc.token as string] = cloneJson(op.value);
        break;
      }
      case 'test': {
        const actual = read(doc, locate(doc, tokens, what), what, op.path);
        if (!jsonEqual(actual, op.value)) {
          throw fail(what, `test failed: value is ${JSON.stringify(actual)}, expected ${JSON.stringify(op.value)}`);
        }
        break;
      }
      case 'move':
      case 'copy': {
        const fromTokens = parsePointer(op.from, what);
        if (op.op === 'move' && fromTokens.length < tokens.length && fromTokens.every((t, j) => tokens[j] === t)) {
          throw fail(what, `cannot move ${op.from} into its own child ${op.path}`);
        }
        const fromLoc = locate(doc, fromTokens, what);
        const value = cloneJson(read(doc, fromLoc, what, op.from));
        if (op.op === 'move') doc = remove(doc, fromLoc, what, op.from);
        doc = add(doc, locate(doc, tokens, what), value, what, op.path);
        break;
      }
    }
  });
  return doc;
};
