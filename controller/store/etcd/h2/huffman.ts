/**
 * The HPACK Huffman code (RFC 7541 Appendix B), decoding only. The code is canonical: codes are
 * handed out in order of length, then symbol, so the table of code lengths below (the RFC's
 * "len" column, symbols 0..255 and EOS = 256) defines every code.
 */
import { HpackError } from './hpack-error.js';

const LENGTHS = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
  28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
  5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
  7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
  6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
  24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
  21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
  19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
  26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  30,
];
const EOS = 256;

/** Each symbol's code (right-aligned) and length, assigned canonically. Exported for tests. */
export const CODES: readonly { code: number; bits: number }[] = (() => {
  const order = LENGTHS.map((bits, sym) => ({ sym, bits })).sort((a, b) => a.bits - b.bits || a.sym - b.sym);
  const out: { code: number; bits: number }[] = new Array(LENGTHS.length);
  let code = 0;
  let prev = order[0]!.bits;
  for (const { sym, bits } of order) {
    code *= 2 ** (bits - prev);
    prev = bits;
    out[sym] = { code, bits };
    code++;
  }
  return out;
})();

/**
 * The decoding tree as flat arrays: node n's children are child[2n] (bit 0) and child[2n + 1]
 * (bit 1); a child value < 0 is a leaf holding symbol -(value + 1); 0 is no child (root is 0).
 */
const child = (() => {
  const c: number[] = [0, 0];
  CODES.forEach(({ code, bits }, sym) => {
    let node = 0;
    for (let i = bits - 1; i >= 0; i--) {
      const bit = Math.floor(code / 2 ** i) & 1;
      const slot = 2 * node + bit;
      if (i === 0) {
        c[slot] = -(sym + 1);
      } else {
        if (c[slot] === 0) {
          c[slot] = c.length / 2;
          c.push(0, 0);
        }
        node = c[slot]!;
      }
    }
  });
  return Int32Array.from(c);
})();

/** Decodes a Huffman-coded string literal (§5.2): EOS inside, or padding that is not 1s or longer than 7 bits, is an error. */
export function huffmanDecode(bytes: Buffer): string {
  let out = '';
  let node = 0;
  /** Bits read since the last symbol, and whether they were all 1s (the only valid padding). */
  let pending = 0;
  let ones = true;
  for (const byte of bytes) {
    for (let i = 7; i >= 0; i--) {
      const bit = (byte >> i) & 1;
      const next = child[2 * node + bit]!;
      pending++;
      if (bit === 0) ones = false;
      if (next < 0) {
        const sym = -next - 1;
        if (sym === EOS) throw new HpackError('EOS in a Huffman-coded string');
        out += String.fromCharCode(sym);
        node = 0;
        pending = 0;
        ones = true;
      } else {
        node = next;
      }
    }
  }
  if (pending > 7 || !ones) throw new HpackError('invalid Huffman padding');
  return out;
}
