// Seeded randomness for the augmentations: a small counter-based generator, so parameters are
// drawn in JavaScript (a few numbers per image) and are the same on every backend.

const TWO_POW_32 = 4294967296;
// Odd 32-bit constant (2^32 / golden ratio): the Weyl-sequence step of SplitMix.
const GOLDEN = 0x9e3779b9;

/** MurmurHash3's 32-bit finaliser: a bijection on uint32 that mixes every input bit. */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * Derives an independent 32-bit seed from a safe-integer seed and a path of small integers
 * (e.g. view index, transform tag), so each stage draws from its own stream.
 */
export function deriveSeed(seed: number, ...path: number[]): number {
  const hi = Math.floor(seed / TWO_POW_32);
  const lo = seed - hi * TWO_POW_32;
  let h = mix32((lo >>> 0) ^ mix32((hi >>> 0) + GOLDEN));
  for (const part of path) h = mix32((h + GOLDEN) ^ mix32(part >>> 0));
  return h;
}

/** A seeded stream of uniform numbers (SplitMix-style: a Weyl sequence fed through mix32). */
export class Random {
  #state: number;

  constructor(seed: number) {
    this.#state = deriveSeed(seed);
  }

  /** A uniform number in [0, 1) with 32 random bits. */
  next(): number {
    this.#state = (this.#state + GOLDEN) >>> 0;
    return mix32(this.#state) / TWO_POW_32;
  }

  /** A uniform number in [lo, hi) (exactly lo when lo === hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** True with probability p: never for p = 0, always for p = 1. */
  bernoulli(p: number): boolean {
    return this.next() < p;
  }

  /** A uniformly random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): number[] {
    const out = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }
}
