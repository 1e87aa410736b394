import type * as tf from "@tensorflow/tfjs";
import { rotateImages } from "./_random_transforms.ts";
import { checkOptions, checkProbability, checkSeed, rangeError } from "@selfsup/internal";
import { checkImages, checkRange } from "./_validate.ts";
import type { ValueCheckOptions } from "./value_check_options.ts";

/** Options of {@linkcode randomRotation}. */
export interface RandomRotationOptions extends ValueCheckOptions {
  /** Integer seed; the same seed rotates the same images by the same angles. */
  seed: number;
  /**
   * Probability that an image is rotated, in [0, 1]. Default 1: the operator of SimCLR's
   * study, "Rotate {90°, 180°, 270°}", always turns the image.
   */
  p?: number;
}

/**
 * Rotates each image, with probability `p`, by 90, 180 or 270 degrees counter-clockwise (as
 * `tf.image.rot90`), the angle drawn uniformly per image: the rotation of SimCLR's augmentation
 * study (Chen et al. 2020, arXiv:2002.05709, section 3.1 and figure 4f, after Gidaris et al.
 * 2018). An image that is not rotated keeps its exact values. Images must be square (H = W):
 * 90 and 270 degrees would swap height and width, and one batch cannot hold both shapes.
 *
 * @param images Float32 `[N, H, H, C]` batch of square images in [0, 1], C = 1 or 3.
 * @param options Seed, probability and whether to check the values.
 * @returns A new tensor of the same shape; the caller disposes it.
 * @throws {RangeError} On C other than 1 or 3, images that are not square, values outside
 * [0, 1] or `p` outside [0, 1].
 * @throws {TypeError} On arguments of the wrong type, and images that are not a float32
 * rank-4 tensor.
 *
 * @example Every image turned by a quarter, a half or three quarters
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { randomRotation } from "@selfsup/augment";
 * import assert from "node:assert/strict";
 *
 * // [[a, b], [c, d]] turned by 90, 180 or 270 degrees counter-clockwise.
 * const [a, b, c, d] = [0.1, 0.2, 0.3, 0.4];
 * const images = tf.tensor4d([a, b, c, d], [1, 2, 2, 1]);
 * const rotated = randomRotation(images, { seed: 5 });
 * const out = Array.from(rotated.dataSync());
 * const turns = [[b, d, a, c], [d, c, b, a], [c, a, d, b]];
 * const same = (t: number[]) => t.every((v, i) => Math.fround(v) === out[i]);
 * assert.equal(turns.filter(same).length, 1);
 * tf.dispose([images, rotated]);
 * ```
 */
export function randomRotation(images: tf.Tensor4D, options: RandomRotationOptions): tf.Tensor4D {
  const fn = "randomRotation";
  checkImages(fn, images);
  checkOptions(fn, options);
  const seed = checkSeed(fn, options.seed);
  const p = checkProbability(fn, "p", options.p ?? 1);
  if (images.shape[1] !== images.shape[2]) {
    throw rangeError(fn, "images", "a batch of square images (H = W)", images);
  }
  checkRange(fn, images, options);
  return rotateImages(images, seed, p);
}
