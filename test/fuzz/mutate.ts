/**
 * A tiny deterministic fuzzing engine: a seeded PRNG and byte-level mutations (flip, insert,
 * delete, duplicate, splice, interesting values), as AFL-style fuzzers mutate seed inputs. Seeded
 * so a failure prints the seed and iteration that reproduce it.
 */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  next(): number {
    // xorshift32
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  int(n: number): number {
    return this.next() % n;
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
}

const INTERESTING = [0x00, 0x01, 0x3f, 0x40, 0x7f, 0x80, 0xc0, 0xff];

/** One to four random mutations of `seed`. */
export function mutate(rng: Rng, seed: Buffer, maxLen = 4096): Buffer {
  let b = Buffer.from(seed);
  const n = 1 + rng.int(4);
  for (let i = 0; i < n; i++) {
    const at = b.length ? rng.int(b.length) : 0;
    switch (rng.int(7)) {
      case 0:
        if (b.length) b[at] = b[at]! ^ (1 << rng.int(8));
        break;
      case 1:
        if (b.length) b[at] = INTERESTING[rng.int(INTERESTING.length)]!;
        break;
      case 2:
        b = Buffer.concat([b.subarray(0, at), rng.bytes(1 + rng.int(8)), b.subarray(at)]);
        break;
      case 3:
        b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + rng.int(16)))]);
        break;
      case 4: {
        const len = Math.min(b.length - at, 1 + rng.int(32));
        b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + len), b.subarray(at)]);
        break;
      }
      case 5:
        b = b.subarray(0, at);
        break;
      case 6:
        if (b.length) b[at] = rng.int(256);
        break;
    }
  }
  return b.length > maxLen ? b.subarray(0, maxLen) : b;
}

/** Runs `fn` on `iterations` inputs: random bytes and mutations of the seeds (text mutations too). */
export function* inputs(rng: Rng, seeds: Buffer[], iterations: number, maxLen = 4096): Generator<Buffer> {
  for (let i = 0; i < iterations; i++) {
    if (i % 8 === 0) yield rng.bytes(rng.int(maxLen >> 4));
    else yield mutate(rng, seeds[rng.int(seeds.length)]!, maxLen);
  }
}
