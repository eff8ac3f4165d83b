/**
 * An incremental HTTP/1.1 response reader for the client side of one connection: fed the bytes
 * as they arrive, it reads the status line and headers (skipping 1xx interim answers), then the
 * body framed by Content-Length, by chunked transfer coding, or by the end of the connection,
 * handing body pieces on as they come. It says when the answer is complete and whether the
 * connection may carry another request. Bytes that break the framing throw an Http1ProtocolError.
 */

/** The head of an answer: status code and headers with lower-case names (repeats joined by ", "). */
export interface Http1Head {
  status: number;
  headers: Record<string, string>;
}

export interface Http1ResponseEvents {
  head(head: Http1Head): void;
  /** A piece of the (de-chunked) body: a view of the input, which the reader never reuses. */
  body(piece: Buffer): void;
  /** The answer is complete; `reusable`: the connection may carry the next request. */
  done(reusable: boolean): void;
}

export class Http1ProtocolError extends Error {
  readonly code = 'HPE_INVALID';
}

/** The most header bytes accepted before the blank line (as node's default limit). */
const MAX_HEAD_BYTES = 16 * 1024;
const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');

type State = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-crlf' | 'trailers' | 'until-close' | 'done';

export class Http1ResponseReader {
  private state: State = 'head';
  /** Bytes of an unfinished head, chunk-size line or trailer section. */
  private pending: Buffer | undefined;
  private remaining = 0;
  private reusable = true;

  /** `noBody`: the request was HEAD, so the answer has no body whatever its headers say. */
  constructor(private readonly events: Http1ResponseEvents, private readonly noBody = false) {}

  /** True once `done` was called. */
  get complete(): boolean {
    return this.state === 'done';
  }

  /**
   * Feeds bytes. Returns how many were used: fewer than given only when the answer completed
   * and bytes followed it (which a client that does not pipeline never expects).
   */
  write(data: Buffer): number {
    let buf = data;
    let used = 0;
    if (this.pending) {
      buf = Buffer.concat([this.pending, data]);
      used = -this.pending.length;
      this.pending = undefined;
    }
    let i = 0;
    while (i < buf.length && this.state !== 'done') {
      switch (this.state) {
        case 'head': {
          const end = buf.indexOf(HEAD_END, i);
          if (end < 0) return this.keep(buf, i, used, MAX_HEAD_BYTES, 'the header section');
          this.readHead(buf.toString('latin1', i, end));
          i = end + 4;
          break;
        }
        case 'length':
          i = this.forward(buf, i);
          if (this.remaining === 0) this.finish();
          break;
        case 'chunk-size': {
          const end = buf.indexOf(CRLF, i);
          if (end < 0) return this.keep(buf, i, used, 1024, 'a chunk-size line');
          const line = buf.toString('latin1', i, end);
          const hex = line.split(';', 1)[0]!.trim();
          if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) throw new Http1ProtocolError(`bad chunk size line ${JSON.stringify(line.slice(0, 40))}`);
          this.remaining = parseInt(hex, 16);
          this.state = this.remaining === 0 ? 'trailers' : 'chunk-data';
          i = end + 2;
          break;
        }
        case 'chunk-data':
          i = this.forward(buf, i);
          if (this.remaining === 0) {
            this.state = 'chunk-crlf';
            this.remaining = 2;
          }
          break;
        case 'chunk-crlf': {
          // the CRLF after a chunk's data, possibly split across reads
          const expected = this.remaining === 2 ? 13 : 10;
          if (buf[i] !== expected) throw new Http1ProtocolError('chunk data not followed by CRLF');
          i++;
          if (--this.remaining === 0) this.state = 'chunk-size';
          break;
        }
        case 'trailers': {
          // trailer fields (ignored) up to an empty line
          const end = buf.indexOf(CRLF, i);
          if (end < 0) return this.keep(buf, i, used, MAX_HEAD_BYTES, 'the trailer section');
          const empty = end === i;
          i = end + 2;
          if (empty) this.finish();
          break;
        }
        case 'until-close':
          this.events.body(buf.subarray(i));
          i = buf.length;
          break;
      }
    }
    return used + i;
  }

  /** The connection ended: completes a body that runs until the end; false if the answer was cut. */
  end(): boolean {
    if (this.state === 'until-close') {
      this.state = 'done';
      this.events.done(false);
    }
    return this.state === 'done';
  }

  private keep(buf: Buffer, from: number, used: number, limit: number, what: string): number {
    if (buf.length - from > limit) throw new Http1ProtocolError(`${what} is longer than ${limit} bytes`);
    // a copy: the input may be a view of memory that is reused
    this.pending = Buffer.from(buf.subarray(from));
    return used + buf.length;
  }

  private readHead(text: string): void {
    let eol = text.indexOf('\r\n');
    if (eol < 0) eol = text.length;
    const status = statusOf(text, eol);
    const headers: Record<string, string> = {};
    let connection = '';
    let te: string | undefined;
    let cl: string | undefined;
    while (eol < text.length) {
      const from = eol + 2;
      eol = text.indexOf('\r\n', from);
      if (eol < 0) eol = text.length;
      const colon = text.indexOf(':', from);
      if (colon <= from || colon > eol) throw new Http1ProtocolError(`bad header line ${JSON.stringify(text.slice(from, Math.min(eol, from + 60)))}`);
      const name = text.slice(from, colon).trim().toLowerCase();
      const value = text.slice(colon + 1, eol).trim();
      const prev = headers[name];
      const joined = prev === undefined ? value : `${prev}, ${value}`;
      headers[name] = joined;
      if (name === 'content-length') cl = joined;
      else if (name === 'transfer-encoding') te = joined;
      else if (name === 'connection') connection = joined.toLowerCase();
    }
    if (status >= 100 && status < 200 && status !== 101) return; // interim: the real head follows
    this.reusable = text.charCodeAt(7) === 49 /* HTTP/1.1 */ ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
    this.events.head({ status, headers });
    if (this.noBody || status === 204 || status === 304 || status === 101) return this.finish();
    if (te !== undefined) {
      if (!/(?:^|,)\s*chunked\s*$/i.test(te)) throw new Http1ProtocolError(`unsupported transfer-encoding ${JSON.stringify(te)}`);
      this.state = 'chunk-size';
      return;
    }
    if (cl !== undefined) {
      const length = contentLength(cl);
      if (length < 0) throw new Http1ProtocolError(`bad content-length ${JSON.stringify(cl)}`);
      this.remaining = length;
      this.state = 'length';
      if (this.remaining === 0) this.finish();
      return;
    }
    this.reusable = false;
    this.state = 'until-close';
  }

  /** Hands on the body bytes from `i` that the current length or chunk still expects; returns where they end. */
  private forward(buf: Buffer, i: number): number {
    const n = Math.min(this.remaining, buf.length - i);
    this.events.body(buf.subarray(i, i + n));
    this.remaining -= n;
    return i + n;
  }

  private finish(): void {
    this.state = 'done';
    this.events.done(this.reusable);
  }
}

/** The status code of `HTTP/1.x NNN reason` (the status line is text[0, eol)). */
function statusOf(text: string, eol: number): number {
  const ok = text.startsWith('HTTP/1.') && (text.charCodeAt(7) === 48 || text.charCodeAt(7) === 49) && text.charCodeAt(8) === 32 && (eol === 12 || text.charCodeAt(12) === 32);
  const digits = text.slice(9, 12);
  const status = ok && /^[1-9]\d\d$/.test(digits) ? Number(digits) : NaN;
  if (Number.isNaN(status)) throw new Http1ProtocolError(`bad status line ${JSON.stringify(text.slice(0, Math.min(eol, 60)))}`);
  return status;
}

/** A Content-Length value (repeats must agree), or -1 when it is not one. */
function contentLength(value: string): number {
  const first = value.indexOf(',') < 0 ? value : value.split(',')[0]!.trim();
  if (first !== value && value.split(',').some((v) => v.trim() !== first)) return -1;
  if (first.length === 0 || first.length > 15) return -1;
  for (let i = 0; i < first.length; i++) {
    const c = first.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
  }
  return Number(first);
}
