// Seeded pseudo-random numbers for shuffling. Mulberry32: tiny, fast, and good enough for
// permutations; the seed is mixed first so that nearby seeds give unrelated streams.

/** Checks that `seed` is a safe integer and throws a RangeError naming `name` otherwise. */
export function checkSeed(seed: number, name = "seed"): void {
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`${name} must be a safe integer, got ${seed}`);
  }
}

/** Mixes integers into one 32-bit seed (a murmur3-style finaliser over each word). */
export function mixSeed(...words: number[]): number {
  let h = 0x9e3779b9;
  for (const word of words) {
    // Split into two 32-bit halves so that seeds above 2^32 still matter.
    for (const part of [word % 0x100000000, Math.floor(word / 0x100000000)]) {
      h = Math.imul(h ^ (part >>> 0), 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35);
      h ^= h >>> 16;
    }
  }
  return h >>> 0;
}

/** Returns a generator of uniform floats in [0, 1) seeded by `seed` (Mulberry32). */
export function mulberry32(seed: number): () => number {
  let state = mixSeed(seed);
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded Fisher-Yates permutation of 0..n-1. */
export function permutation(n: number, seed: number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const random = mulberry32(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = order[i];
    order[i] = order[j];
    order[j] = tmp;
  }
  return order;
}
