/**
 * Decodes a Kubernetes protobuf request body (`application/vnd.kubernetes.protobuf`: the magic
 * `k8s\0`, then a runtime.Unknown envelope holding the object's bytes) into the JSON object the
 * rest of the server handles. Covers the kinds typed kubectl commands create (see messages.ts);
 * anything else — another kind, or a field the tables do not know — is refused rather than
 * silently dropped.
 */
import { MESSAGES, TOP_LEVEL, type FieldSpec } from './messages.js';
import { readFields, signed, WireError, type WireField } from './wire.js';

export class ProtobufError extends Error {}

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);
const ZERO_TIME_SECONDS = -62135596800;

function mapEntries(fields: WireField[], field: number, value: (f: WireField) => unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    if (f.field !== field || f.wire !== 2) continue;
    let key = '';
    let val: unknown = '';
    for (const e of readFields(f.value)) {
      if (e.field === 1 && e.wire === 2) key = e.value.toString('utf8');
      else if (e.field === 2) val = value(e);
    }
    out[key] = val;
  }
  return out;
}

function scalarOrSpecial(spec: FieldSpec, f: WireField, path: string): unknown {
  const t = spec.type;
  if (typeof t === 'object') return decodeMessage(t.message, bytesOf(f, path), path);
  switch (t) {
    case 'string':
      return bytesOf(f, path).toString('utf8');
    case 'bytes':
      return Buffer.from(bytesOf(f, path));
    case 'int':
      if (f.wire !== 0) throw new ProtobufError(`${path}: expected a varint`);
      return signed(f.value);
    case 'bool':
      if (f.wire !== 0) throw new ProtobufError(`${path}: expected a varint`);
      return f.value !== 0n;
    case 'time': {
      let seconds = 0;
      for (const e of readFields(bytesOf(f, path))) if (e.field === 1 && e.wire === 0) seconds = signed(e.value);
      return seconds <= ZERO_TIME_SECONDS || seconds === 0 ? undefined : new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    }
    case 'intOrString': {
      let type = 0;
      let intVal = 0;
      let strVal = '';
      for (const e of readFields(bytesOf(f, path))) {
        if (e.field === 1 && e.wire === 0) type = signed(e.value);
        else if (e.field === 2 && e.wire === 0) intVal = signed(e.value);
        else if (e.field === 3 && e.wire === 2) strVal = e.value.toString('utf8');
      }
      return type === 1 ? strVal : intVal;
    }
    case 'quantity': {
      for (const e of readFields(bytesOf(f, path))) if (e.field === 1 && e.wire === 2) return e.value.toString('utf8');
      return '0';
    }
    default:
      throw new ProtobufError(`${path}: maps are decoded by their message`);
  }
}

function bytesOf(f: WireField, path: string): Buffer {
  if (f.wire !== 2) throw new ProtobufError(`${path}: expected a length-delimited value`);
  return f.value;
}

const isEmptyScalar = (v: unknown) => v === '' || v === 0 || v === false;

function decodeMessage(name: string, buf: Buffer, path: string): Record<string, unknown> {
  const spec = MESSAGES[name];
  if (!spec) throw new ProtobufError(`${path}: message ${name} is not supported`);
  const fields = readFields(buf);
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const fs = spec[f.field];
    if (!fs) throw new ProtobufError(`${path || name}: protobuf field ${f.field} of ${name} is not supported`);
    const p = path ? `${path}.${fs.json}` : fs.json;
    if (fs.type === 'stringMap' || fs.type === 'quantityMap') {
      if (out[fs.json] === undefined)
        out[fs.json] = mapEntries(fields, f.field, (e) =>
          fs.type === 'stringMap' ? bytesOf(e, p).toString('utf8') : scalarOrSpecial({ json: '', type: 'quantity' }, e, p),
        );
      continue;
    }
    const value = scalarOrSpecial(fs, f, p);
    if (fs.repeated) ((out[fs.json] ??= []) as unknown[]).push(value);
    else if (value !== undefined && (fs.keepZero || !isEmptyScalar(value))) out[fs.json] = value;
  }
  return out;
}

/** The JSON object of a protobuf request body. Throws ProtobufError naming what is unsupported. */
export function decodeProtobufObject(body: Buffer): Record<string, unknown> {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) throw new ProtobufError('the body does not start with the Kubernetes protobuf magic');
  try {
    const envelope = decodeMessage('Unknown', body.subarray(4), '');
    const typeMeta = (envelope.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
    const gvk = `${typeMeta.apiVersion ?? ''}/${typeMeta.kind ?? ''}`;
    const message = TOP_LEVEL[gvk];
    if (!message) throw new ProtobufError(`protobuf bodies of ${gvk} are not supported`);
    if (envelope.contentEncoding) throw new ProtobufError(`content encoding ${String(envelope.contentEncoding)} is not supported`);
    const obj = decodeMessage(message, (envelope.raw as Buffer | undefined) ?? Buffer.alloc(0), '');
    return { apiVersion: typeMeta.apiVersion, kind: typeMeta.kind, ...obj };
  } catch (err) {
    if (err instanceof WireError) throw new ProtobufError(`malformed protobuf: ${err.message}`);
    throw err;
  }
}
