/** Seeded, fast pseudo-random data: the same seed gives the same records on every machine. */

/** mulberry32: a tiny 32-bit PRNG, good enough for test data, not for secrets. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** A 32-bit mix of two integers (splitmix-style), used to place each record's payload in the text pool. */
export function mix(a: number, b: number): number {
  let h = (Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x27d4eb2f, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

const ALPHABET = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');

/** `length` bytes of printable ASCII text from a seed. */
export function textPool(seed: number, length: number): Buffer {
  const next = prng(seed);
  const pool = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i += 4) {
    const r = next();
    pool[i] = ALPHABET[r & 63]!;
    if (i + 1 < length) pool[i + 1] = ALPHABET[(r >>> 6) & 63]!;
    if (i + 2 < length) pool[i + 2] = ALPHABET[(r >>> 12) & 63]!;
    if (i + 3 < length) pool[i + 3] = ALPHABET[(r >>> 18) & 63]!;
  }
  return pool;
}

/** `length` random bytes from a seed (blob content). */
export function bytesFromSeed(seed: number, length: number): Buffer {
  const next = prng(seed);
  const out = Buffer.allocUnsafe(length);
  let i = 0;
  for (; i + 4 <= length; i += 4) out.writeUInt32LE(next(), i);
  for (let r = next(); i < length; i++, r >>>= 8) out[i] = r & 0xff;
  return out;
}
