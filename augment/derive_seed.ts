import { checkInteger, checkSeed, deriveSeed as derive } from "@selfsup/internal";

/** Largest path part: parts are hashed as 32-bit words, so larger ones would collide. */
const MAX_PART = 2 ** 32 - 1;

/**
 * Derives an independent seed from a run seed and a path of integers (a step, a view, a
 * worker), so each call of a training loop draws from its own stream: pass
 * `deriveSeed(runSeed, step)` as the `seed` of the step's views. Both 32-bit halves of the
 * seed and the order of the path matter: `deriveSeed(s, 0, 1)` differs from
 * `deriveSeed(s, 1, 0)`. The views derive their per-view and per-transform seeds the same way.
 *
 * The result is never 0 (tfjs treats seed 0 as "unseeded"), so it can be passed to tfjs too.
 *
 * @param seed The run seed: a safe integer.
 * @param path Integers in [0, 2^32 - 1], e.g. the step and the view index.
 * @returns An integer in [1, 2^32).
 * @throws {TypeError} If the seed or a path part is not a number.
 * @throws {RangeError} If the seed is not a safe integer or a path part is not an integer in
 * [0, 2^32 - 1].
 *
 * @example One seed per training step
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { deriveSeed, smallImageViews } from "@selfsup/augment";
 * import assert from "node:assert/strict";
 *
 * const runSeed = 42;
 * const images = tf.randomUniform([4, 28, 28, 1], 0, 1, "float32", 1) as tf.Tensor4D;
 * for (let step = 0; step < 2; step++) {
 *   const seed = deriveSeed(runSeed, step);
 *   const [v1, v2] = smallImageViews(images, { seed, checkValues: false });
 *   assert.deepEqual(v1.shape, [4, 28, 28, 1]);
 *   tf.dispose([v1, v2]);
 * }
 * assert.notEqual(deriveSeed(runSeed, 0), deriveSeed(runSeed, 1));
 * assert.equal(deriveSeed(runSeed, 1), deriveSeed(runSeed, 1));
 * tf.dispose(images);
 * ```
 */
export function deriveSeed(seed: number, ...path: number[]): number {
  const fn = "deriveSeed";
  checkSeed(fn, seed);
  path.forEach((part, i) => checkInteger(fn, `path[${i}]`, part, { min: 0, max: MAX_PART }));
  return derive(seed, ...path);
}
