import type * as tf from "@tensorflow/tfjs";
import { blurKernel } from "./_kernels.ts";
import { blurImages } from "./_random_transforms.ts";
import {
  checkImages,
  checkInterval,
  checkPerImage,
  checkProbability,
  checkSeed,
  checkUnitRange,
  wantsValueCheck,
} from "./_validate.ts";
import type { ValueCheckOptions } from "./value_check_options.ts";

/**
 * The default kernel radius, as google-research/simclr: kernel size = floor(H / 10), radius
 * floor(size / 2), so 3 taps at 28-32 px, 9 at 96 px, 23 at 224 px. Capped so reflect padding
 * fits the image.
 */
export function defaultBlurRadius(height: number, width: number): number {
  return Math.min(Math.floor(Math.floor(height / 10) / 2), Math.min(height, width) - 1);
}

function checkRadius(radius: unknown, h: number, w: number, where: string): number {
  if (radius === undefined) return defaultBlurRadius(h, w);
  if (!Number.isInteger(radius) || (radius as number) < 0 || (radius as number) >= Math.min(h, w)) {
    throw new RangeError(
      `${where}: radius must be an integer in [0, ${Math.min(h, w) - 1}] for ${h}x${w} images, ` +
        `got ${radius}`,
    );
  }
  return radius as number;
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
 * @param options Kernel radius.
 * @returns A new tensor of the same shape in [0, 1]; the caller disposes it.
 * @throws {RangeError} On a bad shape, values outside [0, 1], a sigma <= 0 or a radius that
 * does not fit the image.
 * @throws {TypeError} On arguments of the wrong type.
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
  options: GaussianBlurOptions = {},
): tf.Tensor4D {
  const where = "gaussianBlur";
  checkImages(images, where);
  const [n, h, w] = images.shape;
  const s = checkPerImage(sigmas, n, "sigmas", where, Number.MIN_VALUE);
  const radius = checkRadius(options.radius, h, w, where);
  if (wantsValueCheck(options, where)) checkUnitRange(images, where);
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
 * @param options Seed, probability, sigma range and kernel radius.
 * @returns A new tensor of the same shape in [0, 1]; the caller disposes it.
 * @throws {RangeError} On a bad shape, values outside [0, 1], `p` outside [0, 1], a reversed
 * or non-positive sigma range or a radius that does not fit.
 * @throws {TypeError} On arguments of the wrong type.
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
  const where = "randomGaussianBlur";
  checkImages(images, where);
  checkSeed(options.seed, where);
  const p = checkProbability(options.p ?? 0.5, "p", where);
  const sigma = checkInterval(options.sigma ?? [0.1, 2], "sigma", where, 0, Infinity, true);
  const [, h, w] = images.shape;
  const radius = checkRadius(options.radius, h, w, where);
  if (wantsValueCheck(options, where)) checkUnitRange(images, where);
  return blurImages(images, options.seed, p, sigma, radius);
}
