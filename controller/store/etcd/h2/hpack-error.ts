/** A header block that does not decode (an HTTP/2 COMPRESSION_ERROR: the connection cannot go on). */
export class HpackError extends Error {
  constructor(message: string) {
    super(`HPACK: ${message}`);
    this.name = 'HpackError';
  }
}
