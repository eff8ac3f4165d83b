/**
 * loop: detects that the server forwards to itself (typically an upstream of 127.0.0.53 or the
 * node's own address). At start it sends itself an HINFO query for a random name under the root;
 * a server that is not looping sees that query once, one that forwards to itself sees it come back
 * again and again. Past `threshold` sightings the plugin calls `onLoop` (the command exits) and
 * answers the probe itself so the loop ends.
 */
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import type { Plugin } from '../../chain.js';
import { encodeMessage } from '../../codec.js';
import { Rcode, TypeCode, replyTo } from '../../message.js';

export interface LoopOptions {
  threshold: number;
  onLoop: (probe: string, seen: number) => void;
}

export function loopPlugin(opts: LoopOptions): Plugin & { probeName: string; seen(): number } {
  const probeName = `${randomBytes(8).readBigUInt64BE().toString()}.${randomBytes(8).readBigUInt64BE().toString()}`;
  let seen = 0;
  let detected = false;
  return {
    name: 'loop',
    probeName,
    seen: () => seen,
    start(ctx) {
      const host = ctx.listen.host === '0.0.0.0' || ctx.listen.host === '' ? '127.0.0.1' : ctx.listen.host === '::' ? '::1' : ctx.listen.host;
      const sock = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
      const q = encodeMessage({ id: randomBytes(2).readUInt16BE(), response: false, opcode: 0, aa: false, tc: false, rd: true, ra: false, ad: false, cd: false, rcode: 0, questions: [{ name: probeName, type: TypeCode.HINFO!, class: 1 }], answers: [], authorities: [], additionals: [] });
      sock.on('error', () => sock.close());
      sock.send(q, ctx.listen.port, host, () => setTimeout(() => sock.close(), 3000).unref());
      sock.unref();
    },
    handle(req, next) {
      if (req.question.type !== TypeCode.HINFO || req.qname !== probeName) return next(req);
      seen++;
      if (seen > opts.threshold) {
        if (!detected) {
          detected = true;
          opts.onLoop(probeName, seen);
        }
        return { msg: replyTo(req.msg, Rcode.SERVFAIL) };
      }
      return next(req);
    },
  };
}
