/**
 * Truncation as miekg/dns (and so CoreDNS) does it: a response larger than the client's limit
 * keeps as many whole records as fit — answers first, then authority, then additional, stopping
 * at the first record that does not fit — with TC set, instead of an empty answer. A client that
 * ignores TC (or cannot use TCP, like musl) still gets usable addresses; one that honours it
 * retries over TCP and gets everything. The OPT record and the question are always kept.
 */
import { encodeMessage } from './codec.js';
import type { DnsMessage, ResourceRecord } from './message.js';

/** The message with its first `n` records (over answer, authority, additional), TC set. */
function firstRecords(msg: DnsMessage, n: number): DnsMessage {
  const an = Math.min(n, msg.answers.length);
  const ns = Math.min(n - an, an === msg.answers.length ? msg.authorities.length : 0);
  const ar = Math.min(n - an - ns, ns === msg.authorities.length ? msg.additionals.length : 0);
  const take = (rrs: ResourceRecord[], k: number) => (k === rrs.length ? rrs : rrs.slice(0, k));
  return { ...msg, tc: true, answers: take(msg.answers, an), authorities: take(msg.authorities, ns), additionals: take(msg.additionals, ar) };
}

/** The encoding of `m`, or undefined when it would exceed the 65,535 bytes a DNS message can have. */
export function tryEncode(m: DnsMessage): Buffer | undefined {
  try {
    return encodeMessage(m);
  } catch (err) {
    if (err instanceof RangeError && /exceeds 65535/.test(err.message)) return undefined;
    throw err;
  }
}

/**
 * Encodes `msg` within `limit` bytes (`full`: its complete encoding, when the caller has it).
 * When the whole message fits it is returned as it is; otherwise the longest prefix of its records
 * that fits is kept and TC is set — also over TCP when the answer exceeds a DNS message's 64 KB.
 * The encoded size only grows with each record added (compression never shrinks what is already
 * written), so the prefix is found by bisection: about log2(records) encodings, only for
 * oversized answers.
 */
export function encodeWithin(msg: DnsMessage, limit: number, full?: Buffer): Buffer {
  const whole = full ?? tryEncode(msg);
  if (whole && whole.length <= limit) return whole;
  const total = msg.answers.length + msg.authorities.length + msg.additionals.length;
  let lo = 0;
  let best = encodeMessage(firstRecords(msg, 0));
  let hi = total - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    const bytes = tryEncode(firstRecords(msg, mid));
    if (bytes && bytes.length <= limit) {
      lo = mid;
      best = bytes;
    } else hi = mid - 1;
  }
  return best;
}
