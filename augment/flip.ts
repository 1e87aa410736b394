import * as tf from "@tensorflow/tfjs";
import { flipImages } from "./_random_transforms.ts";
import { checkOptions, checkProbability, checkSeed } from "@selfsup/internal";
import { checkImages, checkRange } from "./_validate.ts";
import type { ValueCheckOptions } from "./value_check_options.ts";

/**
 * Mirrors every image left-right (reverses the width axis).
 *
 * @param images Float32 `[N, H, W, C]` batch, C = 1 or 3.
 * @returns A new tensor of the same shape; the caller disposes it.
 * @throws {TypeError} If `images` is not a float32 rank-4 tensor.
 * @throws {RangeError} If `images` has C other than 1 or 3 or an empty dimension.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { flipLeftRight } from "@selfsup/augment";
 * import assert from "node:assert/strict";
 *
 * const images = tf.tensor4d([0.1, 0.2, 0.3], [1, 1, 3, 1]);
 * const flipped = flipLeftRight(images);
 * assert.deepEqual(Array.from(flipped.dataSync()), Array.from(new Float32Array([0.3, 0.2, 0.1])));
 * tf.dispose([images, flipped]);
 * ```
 */
export function flipLeftRight(images: tf.Tensor4D): tf.Tensor4D {
  checkImages("flipLeftRight", images);
  return tf.reverse(images, 2);
}

/** Options of {@linkcode randomFlip}. */
export interface RandomFlipOptions extends ValueCheckOptions {
  /** Integer seed; the same seed flips the same images. */
  seed: number;
  /** Probability that an image is flipped, in [0, 1]. Default 0.5. */
  p?: number;
}

/**
 * Mirrors each image left-right with probability `p`, drawn per image from `seed`.
 *
 * @param images Float32 `[N, H, W, C]` batch in [0, 1], C = 1 or 3.
 * @param options Seed, probability and whether to check the values.
 * @returns A new tensor of the same shape; the caller disposes it.
 * @throws {RangeError} On C other than 1 or 3, values outside [0, 1] or `p` outside [0, 1].
 * @throws {TypeError} On arguments of the wrong type, and images that are not a float32
 * rank-4 tensor.
 *
 * @example p = 1 flips every image
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { randomFlip } from "@selfsup/augment";
 * import assert from "node:assert/strict";
 *
 * const images = tf.tensor4d([0, 1, 1, 0], [2, 1, 2, 1]);
 * const out = randomFlip(images, { seed: 0, p: 1 });
 * assert.deepEqual(Array.from(out.dataSync()), [1, 0, 0, 1]);
 * tf.dispose([images, out]);
 * ```
 */
export function randomFlip(images: tf.Tensor4D, options: RandomFlipOptions): tf.Tensor4D {
  const fn = "randomFlip";
  checkImages(fn, images);
  checkOptions(fn, options);
  const seed = checkSeed(fn, options.seed);
  const p = checkProbability(fn, "p", options.p ?? 0.5);
  checkRange(fn, images, options);
  return flipImages(images, seed, p);
}
