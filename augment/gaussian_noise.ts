import type * as tf from "@tensorflow/tfjs";
import { DEFAULT_NOISE_STD, noiseImages } from "./_random_transforms.ts";
import { checkOptions, checkProbability, checkSeed } from "@selfsup/internal";
import { checkImages, checkRange, checkValueOrRange } from "./_validate.ts";
import type { ValueCheckOptions } from "./value_check_options.ts";

/** Options of {@linkcode gaussianNoise}. */
export interface GaussianNoiseOptions extends ValueCheckOptions {
  /** Integer seed; the same seed adds the same noise. */
  seed: number;
  /** Probability that an image gets noise, in [0, 1]. Default 1 (SimCLR's study). */
  p?: number;
  /**
   * The noise's standard deviation sigma >= 0, on the [0, 1] scale: one number, or a [lo, hi]
   * range to draw it from uniformly per image. Default `[0, 0.1]`.
   */
  std?: number | [number, number];
}

/**
 * Adds Gaussian noise, one of the operators of SimCLR's augmentation study (Chen et al. 2020,
 * arXiv:2002.05709, section 3.1 and figure 4h): with probability `p` an image gets independent
 * N(0, sigma^2) noise on every value, with its own sigma drawn uniformly from `std`, and is
 * clipped to [0, 1]. SimCLR names the noise level as the operator's random parameter but does
 * not give its range; the default `[0, 0.1]` goes up to torchvision's `GaussianNoise` default
 * (sigma 0.1 on [0, 1] images), from clean to clearly grainy. The noise is drawn in JavaScript
 * from the seed (the same numbers on every backend); an image without noise keeps its exact
 * values.
 *
 * @param images Float32 `[N, H, W, C]` batch in [0, 1], C = 1 or 3.
 * @param options Seed, probability, standard deviation and whether to check the values.
 * @returns A new tensor of the same shape in [0, 1]; the caller disposes it.
 * @throws {RangeError} On C other than 1 or 3, values outside [0, 1], `p` outside [0, 1], or
 * a negative std or a reversed range.
 * @throws {TypeError} On arguments of the wrong type, and images that are not a float32
 * rank-4 tensor.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { gaussianNoise } from "@selfsup/augment";
 * import assert from "node:assert/strict";
 *
 * const images = tf.fill([2, 16, 16, 1], 0.5) as tf.Tensor4D;
 * const out = gaussianNoise(images, { seed: 3, std: 0.05 });
 * const values = Array.from(out.dataSync());
 * const mean = values.reduce((a, b) => a + b, 0) / values.length;
 * const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
 * assert.ok(Math.abs(mean - 0.5) < 0.01 && Math.abs(std - 0.05) < 0.01);
 * tf.dispose([images, out]);
 * ```
 */
export function gaussianNoise(images: tf.Tensor4D, options: GaussianNoiseOptions): tf.Tensor4D {
  const fn = "gaussianNoise";
  checkImages(fn, images);
  checkOptions(fn, options);
  const seed = checkSeed(fn, options.seed);
  const p = checkProbability(fn, "p", options.p ?? 1);
  const std = checkValueOrRange(fn, "std", options.std ?? DEFAULT_NOISE_STD, { min: 0 });
  checkRange(fn, images, options);
  return noiseImages(images, seed, p, std);
}
