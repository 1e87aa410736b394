import type * as tf from "@tensorflow/tfjs";
import { blurKernel } from "./_kernels.ts";
import { blurImages } from "./_random_transforms.ts";
import { checkInteger, checkOptions, checkProbability, checkSeed } from "@selfsup/internal";
import {
  checkImages,
  checkInterval,
  checkPerImage,
  checkRange,
  optionalOptions,
} from "./_validate.ts";
import type { ValueCheckOptions } from "./value_check_options.ts";

/**
 * The default kernel radius, as google-research/simclr: kernel size = floor(H / 10), radius
 * floor(size / 2), so 3 taps at 28-32 px, 9 at 96 px, 23 at 224 px. Capped so reflect padding
 * fits the image.
 *
 * @param height Image height in pixels, an integer >= 1.
 * @param width Image width in pixels, an integer >= 1.
 * @returns The radius, in [0, min(height, width) - 1].
 * @throws {RangeError} If a side is not an integer >= 1.
 * @throws {TypeError} If a side is not a number.
 *
 * @example
 * ```ts
 * import { defaultBlurRadius } from "@selfsup/augment";
 * import assert from "node:assert/strict";
 *
 * assert.equal(defaultBlurRadius(32, 32), 1); // 3 taps
 * assert.equal(defaultBlurRadius(224, 224), 11); // 23 taps
 * ```
 */
export function defaultBlurRadius(height: number, width: number): number {
  checkInteger("defaultBlurRadius", "height", height, { min: 1 });
  checkInteger("defaultBlurRadius", "width", width, { min: 1 });
  return Math.min(Math.floor(Math.floor(height / 10) / 2), Math.min(height, width) - 1);
}

/** The radius option: reflect padding needs radius < min(H, W). */
function checkRadius(fn: string, radius: unknown, h: number, w: number): number {
  if (radius === undefined) return defaultBlurRadius(h, w);
  return checkInteger(fn, "radius", radius, { min: 0, max: Math.min(h, w) - 1 });
}

/** Options of {@linkcode gaussianBlur}. */
export interface GaussianBlurOptions extends ValueCheckOptions {
  /** Kernel radius in pixels (2 radius + 1 taps). Default {@linkcode defaultBlurRadius}. */
  radius?: number;
}

/**
 * Gaussian blur with one sigma per image, as SimCLR's `gaussian_blur` but with reflect padding
 * (torchvision's choice) instead of zeros, so borders do not darken. The separable kernel runs
 * as one batched product per axis with per-image banded matrices (the whole batch at once).
 *
 * @param images Float32 `[N, H, W, C]` batch in [0, 1], C = 1 or 3.
 * @param sigmas One standard deviation > 0 (in pixels) per image.
 * @param options Kernel radius and whether to check the values.
 * @returns A new tensor of the same shape in [0, 1]; the caller disposes it.
 * @throws {RangeError} On C other than 1 or 3, values outside [0, 1], a sigma <= 0 or a radius that
 * does not fit the image.
 * @throws {TypeError} On arguments of the wrong type, and images that are not a float32
 * rank-4 tensor.
 *
 * @example A constant image stays constant
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { gaussianBlur } from "@selfsup/augment";
 * import assert from "node:assert/strict";
 *
 * const images = tf.fill([2, 8, 8, 3], 0.5) as tf.Tensor4D;
 * const out = gaussianBlur(images, [1, 2], { radius: 3 });
 * assert.ok(Array.from(out.dataSync()).every((v) => Math.abs(v - 0.5) < 1e-6));
 * tf.dispose([images, out]);
 * ```
 */
export function gaussianBlur(
  images: tf.Tensor4D,
  sigmas: ArrayLike<number>,
  options?: GaussianBlurOptions,
): tf.Tensor4D {
  const fn = "gaussianBlur";
  checkImages(fn, images);
  const [n, h, w] = images.shape;
  const s = checkPerImage(fn, "sigmas", sigmas, n, { above: 0 });
  const checked = optionalOptions(fn, options);
  const radius = checkRadius(fn, checked.radius, h, w);
  checkRange(fn, images, checked);
  return blurKernel(images, s, radius);
}

/** Options of {@linkcode randomGaussianBlur}. */
export interface RandomGaussianBlurOptions extends ValueCheckOptions {
  /** Integer seed; the same seed blurs the same images with the same sigmas. */
  seed: number;
  /** Probability that an image is blurred, in [0, 1]. Default 0.5 (SimCLR). */
  p?: number;
  /** Range of sigma, drawn uniformly per image. Default `[0.1, 2]`. */
  sigma?: [number, number];
  /** Kernel radius in pixels. Default {@linkcode defaultBlurRadius} (about 10% of the side). */
  radius?: number;
}

/**
 * Blurs each image with probability `p`, with its own sigma drawn uniformly from `sigma`; the
 * blurred images go through one batched convolution.
 *
 * @param images Float32 `[N, H, W, C]` batch in [0, 1], C = 1 or 3.
 * @param options Seed, probability, sigma range, kernel radius and whether to check the values.
 * @returns A new tensor of the same shape in [0, 1]; the caller disposes it.
 * @throws {RangeError} On C other than 1 or 3, values outside [0, 1], `p` outside [0, 1], a
 * reversed or non-positive sigma range or a radius that does not fit.
 * @throws {TypeError} On arguments of the wrong type, and images that are not a float32
 * rank-4 tensor.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { randomGaussianBlur } from "@selfsup/augment";
 * import assert from "node:assert/strict";
 *
 * const images = tf.randomUniform([4, 32, 32, 3], 0, 1, "float32", 3) as tf.Tensor4D;
 * const out = randomGaussianBlur(images, { seed: 8, p: 1 });
 * assert.deepEqual(out.shape, [4, 32, 32, 3]);
 * tf.dispose([images, out]);
 * ```
 */
export function randomGaussianBlur(
  images: tf.Tensor4D,
  options: RandomGaussianBlurOptions,
): tf.Tensor4D {
  const fn = "randomGaussianBlur";
  checkImages(fn, images);
  checkOptions(fn, options);
  const seed = checkSeed(fn, options.seed);
  const p = checkProbability(fn, "p", options.p ?? 0.5);
  const sigma = checkInterval(fn, "sigma", options.sigma ?? [0.1, 2], { above: 0 });
  const [, h, w] = images.shape;
  const radius = checkRadius(fn, options.radius, h, w);
  checkRange(fn, images, options);
  return blurImages(images, seed, p, sigma, radius);
}
