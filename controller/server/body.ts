/**
 * Request bodies: read with the 3 MiB limit Kubernetes applies, decoded as JSON, YAML or (for
 * the kinds typed kubectl commands send) Kubernetes protobuf by Content-Type, and required to be one JSON object. Every failure is a 400/413/415 Status.
 */
import type http from 'node:http';
import { parseDocument } from 'yaml';
import { takeInMemoryBody } from '../api/local-http.js';
import { ApiServerError, errors } from './errors.js';
import { decodeProtobufObject, ProtobufError } from './protobuf/decode.js';

export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export function readBody(req: http.IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  // An in-process request (controller/api/local-http.ts) holds its body already: taken whole,
  // under the same limit, without stream events.
  const held = takeInMemoryBody(req);
  if (held !== undefined) return held.length > limit ? Promise.reject(tooLarge(limit)) : Promise.resolve(held);
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > limit) {
      req.resume();
      return reject(tooLarge(limit));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > limit) {
        failed = true;
        reject(tooLarge(limit));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!failed) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
    req.on('error', (e) => {
      if (!failed) reject(errors.badRequest(`error reading request body: ${e.message}`));
    });
  });
}

const tooLarge = (limit: number) =>
  new ApiServerError('RequestEntityTooLarge', `the request body is too large: limit is ${limit} bytes`);

/** The media type without parameters, lower-cased: `application/json`. */
export const mediaType = (contentType: string | undefined): string => (contentType ?? '').split(';')[0]!.trim().toLowerCase();

const isYaml = (t: string) => t === 'application/yaml' || t === 'application/x-yaml' || t === 'text/yaml' || t === 'application/apply-patch+yaml';

/** Decodes a body to a JSON value; YAML is accepted where Kubernetes accepts it. */
export function decodeBody(buf: Buffer, contentType: string | undefined): unknown {
  const type = mediaType(contentType);
  if (type === 'application/vnd.kubernetes.protobuf') {
    try {
      return decodeProtobufObject(buf);
    } catch (e) {
      if (!(e instanceof ProtobufError)) throw e;
      throw new ApiServerError('UnsupportedMediaType', `${e.message}; send JSON or YAML instead (e.g. kubectl create -f manifest.yaml)`);
    }
  }
  const text = buf.toString('utf8');
  if (text.trim() === '') throw errors.badRequest('the request body is empty');
  if (isYaml(type)) {
    // logLevel 'error': the library would otherwise print warnings (e.g. an unknown `!!` tag)
    // to the server's stderr for any client; warnings are refused like errors, as Kubernetes does.
    try {
      const doc = parseDocument(text, { logLevel: 'error' });
      const problem = doc.errors[0] ?? doc.warnings[0];
      if (problem) throw problem;
      return doc.toJS();
    } catch (e) {
      throw errors.badRequest(`error decoding YAML: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    }
  }
  if (type !== '' && !type.endsWith('json'))
    throw new ApiServerError('UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw errors.badRequest(`error decoding JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Like decodeBody, and the result must be a JSON object. */
export function decodeObject(buf: Buffer, contentType: string | undefined): Record<string, unknown> {
  const v = decodeBody(buf, contentType);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw errors.badRequest('the request body must be a JSON object');
  return v as Record<string, unknown>;
}
