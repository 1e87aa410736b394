import type * as tf from "@tensorflow/tfjs";
import { sobelImages } from "./_random_transforms.ts";
import { checkProbability, checkSeed } from "@selfsup/internal";
import { checkImages, checkRange, optionalOptions } from "./_validate.ts";
import type { ValueCheckOptions } from "./value_check_options.ts";

/** Options of {@linkcode sobelFilter}. */
export interface SobelFilterOptions extends ValueCheckOptions {
  /** Probability that an image is filtered, in [0, 1]. Default 1 (SimCLR's study). */
  p?: number;
  /**
   * Integer seed of the per-image choice. Required when 0 < p < 1, the only case that draws;
   * with p = 0 or 1 the result does not depend on it (it is still checked when given).
   */
  seed?: number;
}

/**
 * Sobel filtering, one of the operators of SimCLR's augmentation study (Chen et al. 2020,
 * arXiv:2002.05709, section 3.1 and figure 4j): with probability `p` an image becomes the
 * gradient magnitude sqrt(Gx^2 + Gy^2) of the 3x3 Sobel operator applied to its BT.601 luma
 * (the image itself for C = 1), repeated over its channels. Colour is dropped, as the Sobel
 * input of DeepCluster (Caron et al. 2018) is the grayscale image: the filter keeps edges, not
 * appearance. The magnitude is divided by 2 sqrt(5), the largest any [0, 1] image can give, so
 * the result lies in [0, 1] with one scale for every image. Borders are padded by reflection
 * without repeating the edge pixel (OpenCV's default for Sobel), so a constant image gives 0
 * everywhere; an axis of length 1 has no gradient along it. An image that is not filtered keeps
 * its exact values.
 *
 * @param images Float32 `[N, H, W, C]` batch in [0, 1], C = 1 or 3.
 * @param options Probability, seed and whether to check the values.
 * @returns A new tensor of the same shape in [0, 1]; the caller disposes it.
 * @throws {RangeError} On C other than 1 or 3, values outside [0, 1], `p` outside [0, 1] or a
 * seed that is not a safe integer.
 * @throws {TypeError} On arguments of the wrong type, a missing seed when 0 < p < 1, and images
 * that are not a float32 rank-4 tensor.
 *
 * @example A vertical step edge
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { sobelFilter } from "@selfsup/augment";
 * import assert from "node:assert/strict";
 *
 * // Columns 0 0 1 1: Gx = 4 on the two middle columns, 0 at the borders (reflection).
 * const images = tf.tensor4d([0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1], [1, 3, 4, 1]);
 * const out = sobelFilter(images);
 * const edge = Math.fround(4 / (2 * Math.sqrt(5)));
 * assert.deepEqual(Array.from(out.dataSync()), [0, edge, edge, 0, 0, edge, edge, 0, 0, edge, edge, 0]);
 * tf.dispose([images, out]);
 * ```
 */
export function sobelFilter(images: tf.Tensor4D, options?: SobelFilterOptions): tf.Tensor4D {
  const fn = "sobelFilter";
  checkImages(fn, images);
  const checked = optionalOptions(fn, options);
  const p = checkProbability(fn, "p", checked.p ?? 1);
  // p = 0 and p = 1 choose every image the same way whatever the seed: any seed will do.
  const draws = p > 0 && p < 1;
  const seed = checked.seed !== undefined || draws ? checkSeed(fn, checked.seed) : 1;
  checkRange(fn, images, checked);
  return sobelImages(images, seed, p);
}
