import type * as tf from "@tensorflow/tfjs";
import { grayKernel } from "./_kernels.ts";
import { grayImages } from "./_random_transforms.ts";
import { checkOptions, checkProbability, checkSeed } from "@selfsup/internal";
import { checkImages, checkRange } from "./_validate.ts";
import type { ValueCheckOptions } from "./value_check_options.ts";

/**
 * Converts colour images to grayscale, keeping three channels (SimCLR's colour dropping):
 * each channel becomes the luma 0.299 R + 0.587 G + 0.114 B. A grayscale (C = 1) batch is
 * returned unchanged (as a new tensor).
 *
 * @param images Float32 `[N, H, W, C]` batch in [0, 1], C = 1 or 3.
 * @returns A new tensor of the same shape; the caller disposes it.
 * @throws {TypeError} If `images` is not a float32 rank-4 tensor.
 * @throws {RangeError} If `images` has C other than 1 or 3 or an empty dimension.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { grayscale } from "@selfsup/augment";
 * import assert from "node:assert/strict";
 *
 * const images = tf.tensor4d([1, 0, 0], [1, 1, 1, 3]);
 * const gray = grayscale(images);
 * assert.deepEqual(Array.from(gray.dataSync()), Array.from(new Float32Array([0.299, 0.299, 0.299])));
 * tf.dispose([images, gray]);
 * ```
 */
export function grayscale(images: tf.Tensor4D): tf.Tensor4D {
  checkImages("grayscale", images);
  return grayKernel(images);
}

/** Options of {@linkcode randomGrayscale}. */
export interface RandomGrayscaleOptions extends ValueCheckOptions {
  /** Integer seed; the same seed converts the same images. */
  seed: number;
  /** Probability that an image is converted, in [0, 1]. Default 0.2. */
  p?: number;
}

/**
 * Converts each image to grayscale with probability `p` (SimCLR: 0.2), drawn per image.
 *
 * @param images Float32 `[N, H, W, C]` batch in [0, 1], C = 1 or 3.
 * @param options Seed, probability and whether to check the values.
 * @returns A new tensor of the same shape; the caller disposes it.
 * @throws {RangeError} On C other than 1 or 3, values outside [0, 1] or `p` outside [0, 1].
 * @throws {TypeError} On arguments of the wrong type, and images that are not a float32
 * rank-4 tensor.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { randomGrayscale } from "@selfsup/augment";
 * import assert from "node:assert/strict";
 *
 * const images = tf.randomUniform([3, 2, 2, 3], 0, 1, "float32", 2) as tf.Tensor4D;
 * const out = randomGrayscale(images, { seed: 9, p: 0 });
 * assert.deepEqual(Array.from(out.dataSync()), Array.from(images.dataSync()));
 * tf.dispose([images, out]);
 * ```
 */
export function randomGrayscale(images: tf.Tensor4D, options: RandomGrayscaleOptions): tf.Tensor4D {
  const fn = "randomGrayscale";
  checkImages(fn, images);
  checkOptions(fn, options);
  const seed = checkSeed(fn, options.seed);
  const p = checkProbability(fn, "p", options.p ?? 0.2);
  checkRange(fn, images, options);
  return grayImages(images, seed, p);
}
