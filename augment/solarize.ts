import type * as tf from "@tensorflow/tfjs";
import { solarizeKernel } from "./_kernels.ts";
import { solarizeImages } from "./_random_transforms.ts";
import { checkOptions, checkProbability, checkSeed } from "@selfsup/internal";
import { checkImages, checkRange, optionalOptions } from "./_validate.ts";
import type { ValueCheckOptions } from "./value_check_options.ts";

/** Options of {@linkcode solarize}. */
export interface SolarizeOptions extends ValueCheckOptions {
  /** Values at or above it are inverted; in [0, 1]. Default 0.5. */
  threshold?: number;
}

/**
 * Solarizes images: every value x >= `threshold` becomes 1 - x (BYOL, Grill et al. 2020,
 * arXiv:2006.07733, threshold 0.5).
 *
 * @param images Float32 `[N, H, W, C]` batch in [0, 1], C = 1 or 3.
 * @param options Threshold and whether to check the values.
 * @returns A new tensor of the same shape in [0, 1]; the caller disposes it.
 * @throws {RangeError} On C other than 1 or 3, values outside [0, 1] or a bad threshold.
 * @throws {TypeError} On arguments of the wrong type, and images that are not a float32
 * rank-4 tensor.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { solarize } from "@selfsup/augment";
 * import assert from "node:assert/strict";
 *
 * const images = tf.tensor4d([0.25, 0.75], [1, 1, 2, 1]);
 * const out = solarize(images);
 * assert.deepEqual(Array.from(out.dataSync()), [0.25, 0.25]);
 * tf.dispose([images, out]);
 * ```
 */
export function solarize(images: tf.Tensor4D, options?: SolarizeOptions): tf.Tensor4D {
  const fn = "solarize";
  checkImages(fn, images);
  const checked = optionalOptions(fn, options);
  const threshold = checkProbability(fn, "threshold", checked.threshold ?? 0.5);
  checkRange(fn, images, checked);
  return solarizeKernel(images, threshold);
}

/** Options of {@linkcode randomSolarize}. */
export interface RandomSolarizeOptions extends ValueCheckOptions {
  /** Integer seed; the same seed solarizes the same images. */
  seed: number;
  /** Probability that an image is solarized, in [0, 1]. Default 0.2 (BYOL's second view). */
  p?: number;
  /** Threshold in [0, 1]. Default 0.5. */
  threshold?: number;
}

/**
 * Solarizes each image with probability `p`, drawn per image (BYOL: 0 for the first view,
 * 0.2 for the second).
 *
 * @param images Float32 `[N, H, W, C]` batch in [0, 1], C = 1 or 3.
 * @param options Seed, probability, threshold and whether to check the values.
 * @returns A new tensor of the same shape in [0, 1]; the caller disposes it.
 * @throws {RangeError} On C other than 1 or 3, values outside [0, 1], `p` or `threshold`
 * outside [0, 1].
 * @throws {TypeError} On arguments of the wrong type, and images that are not a float32
 * rank-4 tensor.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { randomSolarize } from "@selfsup/augment";
 * import assert from "node:assert/strict";
 *
 * const images = tf.fill([2, 1, 1, 1], 0.75) as tf.Tensor4D;
 * const out = randomSolarize(images, { seed: 4, p: 1 });
 * assert.deepEqual(Array.from(out.dataSync()), [0.25, 0.25]);
 * tf.dispose([images, out]);
 * ```
 */
export function randomSolarize(images: tf.Tensor4D, options: RandomSolarizeOptions): tf.Tensor4D {
  const fn = "randomSolarize";
  checkImages(fn, images);
  checkOptions(fn, options);
  const seed = checkSeed(fn, options.seed);
  const p = checkProbability(fn, "p", options.p ?? 0.2);
  const threshold = checkProbability(fn, "threshold", options.threshold ?? 0.5);
  checkRange(fn, images, options);
  return solarizeImages(images, seed, p, threshold);
}
