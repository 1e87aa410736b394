import type * as tf from "@tensorflow/tfjs";
import { cutoutImages, DEFAULT_CUTOUT_SIZE } from "./_random_transforms.ts";
import { checkOptions, checkProbability, checkSeed } from "@selfsup/internal";
import { checkImages, checkRange, checkValueOrRange } from "./_validate.ts";
import type { ValueCheckOptions } from "./value_check_options.ts";

/** Options of {@linkcode cutout}. */
export interface CutoutOptions extends ValueCheckOptions {
  /** Integer seed; the same seed cuts the same holes. */
  seed: number;
  /** Probability that an image gets a hole, in [0, 1]. Default 1 (SimCLR's study). */
  p?: number;
  /**
   * The hole's side as a fraction of the image's shorter side, in (0, 1]: one number, or a
   * [lo, hi] range to draw it from uniformly per image. Default 0.5, DeVries & Taylor's 16 px
   * on 32 px CIFAR-10 images.
   */
  size?: number | [number, number];
}

/**
 * Cutout (DeVries & Taylor 2017, arXiv:1708.04552), one of the operators of SimCLR's
 * augmentation study (Chen et al. 2020, arXiv:2002.05709, section 3.1 and figure 4g): with
 * probability `p` an image gets one square hole set to 0 (black) in every channel. The side is
 * `size` times the shorter side, rounded to pixels (at least 1); the centre is a pixel drawn
 * uniformly over the whole image and the square is clipped to the image, so near a border the
 * hole is smaller, as in DeVries & Taylor. SimCLR does not give its own settings; those are
 * DeVries & Taylor's CIFAR-10 ones (half the side, zeros). Every other pixel keeps its exact
 * value.
 *
 * @param images Float32 `[N, H, W, C]` batch in [0, 1], C = 1 or 3.
 * @param options Seed, probability, hole size and whether to check the values.
 * @returns A new tensor of the same shape in [0, 1]; the caller disposes it.
 * @throws {RangeError} On C other than 1 or 3, values outside [0, 1], `p` outside [0, 1], or
 * a size outside (0, 1] or a reversed range.
 * @throws {TypeError} On arguments of the wrong type, and images that are not a float32
 * rank-4 tensor.
 *
 * @example A hole of a quarter of the area
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { cutout } from "@selfsup/augment";
 * import assert from "node:assert/strict";
 *
 * const images = tf.ones([1, 8, 8, 3]) as tf.Tensor4D;
 * const out = cutout(images, { seed: 1, size: 0.5 });
 * const zeros = Array.from(out.dataSync()).filter((v) => v === 0).length;
 * // A 4x4 hole, smaller where it crosses the border.
 * assert.ok(zeros > 0 && zeros <= 4 * 4 * 3 && zeros % 3 === 0);
 * tf.dispose([images, out]);
 * ```
 */
export function cutout(images: tf.Tensor4D, options: CutoutOptions): tf.Tensor4D {
  const fn = "cutout";
  checkImages(fn, images);
  checkOptions(fn, options);
  const seed = checkSeed(fn, options.seed);
  const p = checkProbability(fn, "p", options.p ?? 1);
  const size = checkValueOrRange(fn, "size", options.size ?? DEFAULT_CUTOUT_SIZE, {
    above: 0,
    max: 1,
  });
  checkRange(fn, images, options);
  return cutoutImages(images, seed, p, size);
}
