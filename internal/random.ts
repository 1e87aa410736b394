// Seeded randomness for every package: a small counter-based generator, so parameters drawn
// in JavaScript are the same on every backend and every runtime. No Math.random.

const TWO_POW_32 = 4294967296;
// Odd 32-bit constant (2^32 / golden ratio): the Weyl-sequence step of SplitMix.
const GOLDEN = 0x9e3779b9;

/**
 * MurmurHash3's 32-bit finaliser: a bijection on uint32 that mixes every input bit.
 *
 * @example
 * ```ts
 * import { mix32 } from "@selfsup/internal";
 * import assert from "node:assert/strict";
 *
 * assert.notEqual(mix32(1), mix32(2));
 * ```
 */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * Derives an independent 32-bit seed from a safe-integer seed and a path of integers (a step,
 * a view index, a transform tag), so each stage draws from its own stream. Both 32-bit halves
 * of the seed matter, and so does the order of the path.
 *
 * The result is never 0: tfjs treats seed 0 as "unseeded", so a derived seed can be passed to
 * tfjs as it is.
 *
 * @param seed A safe integer (not checked here; the public boundary checks it).
 * @param path Integers (each taken modulo 2^32).
 * @returns An integer in [1, 2^32).
 *
 * @example
 * ```ts
 * import { deriveSeed } from "@selfsup/internal";
 * import assert from "node:assert/strict";
 *
 * assert.notEqual(deriveSeed(1, 0, 1), deriveSeed(1, 1, 0));
 * assert.equal(deriveSeed(1, 5), deriveSeed(1, 5));
 * ```
 */
export function deriveSeed(seed: number, ...path: number[]): number {
  const hi = Math.floor(seed / TWO_POW_32);
  const lo = seed - hi * TWO_POW_32;
  let h = mix32((lo >>> 0) ^ mix32((hi >>> 0) + GOLDEN));
  for (const part of path) h = mix32((h + GOLDEN) ^ mix32(part >>> 0));
  return h === 0 ? 1 : h;
}

/**
 * A seeded stream of uniform numbers (SplitMix-style: a Weyl sequence fed through
 * {@linkcode mix32}).
 *
 * @example
 * ```ts
 * import { Random } from "@selfsup/internal";
 * import assert from "node:assert/strict";
 *
 * const a = new Random(3), b = new Random(3);
 * assert.equal(a.next(), b.next());
 * assert.deepEqual([...a.permutation(4)].sort(), [0, 1, 2, 3]);
 * ```
 */
export class Random {
  #state: number;

  /** @param seed A safe integer. */
  constructor(seed: number) {
    this.#state = deriveSeed(seed);
  }

  /** The generator's state: pass it to {@linkcode Random.fromState} to continue the stream. */
  get state(): number {
    return this.#state;
  }

  /** A generator that continues from a saved {@linkcode Random.state}. */
  static fromState(state: number): Random {
    const random = new Random(0);
    random.#state = state >>> 0;
    return random;
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

  /** A uniform integer in [0, n). */
  integer(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** True with probability p: never for p = 0, always for p = 1. */
  bernoulli(p: number): boolean {
    return this.next() < p;
  }

  /** A standard normal number (Box-Muller). */
  normal(): number {
    return Math.sqrt(-2 * Math.log(1 - this.next())) * Math.cos(2 * Math.PI * this.next());
  }

  /** A uniformly random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): Int32Array {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.integer(i + 1);
      const t = out[i];
      out[i] = out[j];
      out[j] = t;
    }
    return out;
  }
}

/**
 * A seeded, uniformly random permutation of 0..n-1: the one order every package uses for a
 * seed (data's shuffles, eval's probe batches).
 *
 * @example
 * ```ts
 * import { permutation } from "@selfsup/internal";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(permutation(5, 1), permutation(5, 1));
 * ```
 */
export function permutation(n: number, seed: number): Int32Array {
  return new Random(seed).permutation(n);
}
