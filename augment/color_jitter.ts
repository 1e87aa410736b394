import type * as tf from "@tensorflow/tfjs";
import { jitterImages } from "./_random_transforms.ts";
import { checkOptions, checkProbability, checkSeed } from "@selfsup/internal";
import { checkImages, checkRange, checkStrengths } from "./_validate.ts";
import type { ValueCheckOptions } from "./value_check_options.ts";

/** Strengths of the four colour-jitter components and how brightness is changed. */
export interface ColorJitterStrengths {
  /**
   * Brightness strength b >= 0: a factor drawn from [max(0, 1 - b), 1 + b] multiplies the image
   * ("multiplicative", SimCLRv2), or an offset drawn from [-b, b] is added ("additive", BYOL).
   */
  brightness: number;
  /** Contrast strength c >= 0: factor drawn from [max(0, 1 - c), 1 + c]. */
  contrast: number;
  /** Saturation strength s >= 0: factor drawn from [max(0, 1 - s), 1 + s]. */
  saturation: number;
  /** Hue strength in [0, 0.5]: shift drawn from [-hue, hue] turns. */
  hue: number;
  /** Brightness mode. Default "multiplicative". */
  brightnessMode?: "multiplicative" | "additive";
}

/** Options of {@linkcode randomColorJitter}. */
export interface RandomColorJitterOptions extends Partial<ColorJitterStrengths>, ValueCheckOptions {
  /** Integer seed; the same seed gives the same jitter. */
  seed: number;
  /** Probability that an image is jittered at all, in [0, 1]. Default 0.8. */
  p?: number;
}

/**
 * Colour jitter as google-research/simclr's `color_jitter_rand` (Chen et al. 2020,
 * arXiv:2002.05709): with probability `p` an image gets brightness, contrast, saturation and
 * hue changes with its own random factors, in its own random order, clipping to [0, 1] after
 * each. A component of strength 0 is skipped. For C = 1 only brightness and contrast apply.
 *
 * Batched: for each of the four order slots, the images are grouped by the component their
 * order puts in that slot and each component runs once on its group (so every image costs four
 * adjustments, whatever its order); a backend that registers `COLOR_JITTER_KERNEL` (blas)
 * does it all in one call, with the same values. Defaults are SimCLR's at strength 1:
 * (0.8, 0.8, 0.8, 0.2), p = 0.8.
 *
 * @param images Float32 `[N, H, W, C]` batch in [0, 1], C = 1 or 3.
 * @param options Seed, strengths, brightness mode, probability and whether to check the values.
 * @returns A new tensor of the same shape in [0, 1]; the caller disposes it.
 * @throws {RangeError} On C other than 1 or 3, values outside [0, 1], a negative strength, hue
 * outside [0, 0.5] or `p` outside [0, 1].
 * @throws {TypeError} On arguments of the wrong type, and images that are not a float32
 * rank-4 tensor.
 *
 * @example SimCLR's jitter on two colour images
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { randomColorJitter } from "@selfsup/augment";
 * import assert from "node:assert/strict";
 *
 * const images = tf.randomUniform([2, 4, 4, 3], 0, 1, "float32", 1) as tf.Tensor4D;
 * const out = randomColorJitter(images, { seed: 5, p: 1 });
 * assert.deepEqual(out.shape, [2, 4, 4, 3]);
 * tf.dispose([images, out]);
 * ```
 */
export function randomColorJitter(
  images: tf.Tensor4D,
  options: RandomColorJitterOptions,
): tf.Tensor4D {
  const fn = "randomColorJitter";
  checkImages(fn, images);
  checkOptions(fn, options);
  const seed = checkSeed(fn, options.seed);
  const p = checkProbability(fn, "p", options.p ?? 0.8);
  const strengths = checkStrengths(fn, {
    brightness: options.brightness ?? 0.8,
    contrast: options.contrast ?? 0.8,
    saturation: options.saturation ?? 0.8,
    hue: options.hue ?? 0.2,
    brightnessMode: options.brightnessMode,
  });
  checkRange(fn, images, options);
  return jitterImages(images, seed, p, strengths);
}
