/**
 * log: one line per answered query — client, name, type, protocol, sizes, rcode, duration and
 * whether the packet cache answered — written as JSON through the daemon logger by default.
 */
import type { Observation, Plugin } from '../../chain.js';
import { rcodeName, typeName } from '../../message.js';

export interface QueryLogLine {
  remote: string;
  name: string;
  type: string;
  proto: string;
  rcode: string;
  size: number;
  rsize: number;
  duration: number;
  cached: boolean;
}

export function toLogLine(o: Observation): QueryLogLine {
  return {
    remote: `${o.remoteAddress}:${o.remotePort}`, name: o.qname, type: typeName(o.qtype), proto: o.proto, rcode: rcodeName(o.rcode),
    size: o.requestSize, rsize: o.responseSize, duration: Number(o.durationSeconds.toFixed(6)), cached: o.fast,
  };
}

export function logPlugin(write: (line: QueryLogLine) => void): Plugin {
  return { name: 'log', observesNames: true, observe: (o) => write(toLogLine(o)) };
}
