import type * as tf from "@tensorflow/tfjs";
import { brightnessKernel, contrastKernel, hueKernel, saturationKernel } from "./_kernels.ts";
import type { NumberBounds } from "@selfsup/internal";
import { checkImages, checkPerImage, checkRange, optionalOptions } from "./_validate.ts";
import type { ValueCheckOptions } from "./value_check_options.ts";

function checked(
  fn: string,
  images: tf.Tensor4D,
  name: string,
  values: unknown,
  bounds: NumberBounds,
  options: ValueCheckOptions | undefined,
): Float32Array {
  checkImages(fn, images);
  const params = checkPerImage(fn, name, values, images.shape[0], bounds);
  checkRange(fn, images, optionalOptions(fn, options));
  return params;
}

/**
 * Multiplies the brightness of image i by `factors[i]` and clips to [0, 1] (SimCLRv2's
 * multiplicative brightness; factor 1 is the identity).
 *
 * @param images Float32 `[N, H, W, C]` batch in [0, 1], C = 1 or 3.
 * @param factors One factor >= 0 per image.
 * @param options Whether to check the values (a read-back). Default true.
 * @returns A new tensor of the same shape; the caller disposes it.
 * @throws {RangeError} On C other than 1 or 3, values outside [0, 1] or a bad factor.
 * @throws {TypeError} On arguments of the wrong type, and images that are not a float32
 * rank-4 tensor.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { adjustBrightness } from "@selfsup/augment";
 * import assert from "node:assert/strict";
 *
 * const images = tf.tensor4d([0.25, 0.75], [2, 1, 1, 1]);
 * const out = adjustBrightness(images, [2, 2]);
 * assert.deepEqual(Array.from(out.dataSync()), [0.5, 1]);
 * tf.dispose([images, out]);
 * ```
 */
export function adjustBrightness(
  images: tf.Tensor4D,
  factors: ArrayLike<number>,
  options?: ValueCheckOptions,
): tf.Tensor4D {
  const f = checked("adjustBrightness", images, "factors", factors, { min: 0 }, options);
  return brightnessKernel(images, f);
}

/**
 * Scales each channel's deviation from its mean over the image by `factors[i]` and clips to
 * [0, 1], as `tf.image.adjust_contrast` (used by SimCLR) does; factor 1 is the identity.
 *
 * @param images Float32 `[N, H, W, C]` batch in [0, 1], C = 1 or 3.
 * @param factors One factor >= 0 per image.
 * @param options Whether to check the values (a read-back). Default true.
 * @returns A new tensor of the same shape; the caller disposes it.
 * @throws {RangeError} On C other than 1 or 3, values outside [0, 1] or a bad factor.
 * @throws {TypeError} On arguments of the wrong type, and images that are not a float32
 * rank-4 tensor.
 *
 * @example Factor 0 flattens an image to its mean
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { adjustContrast } from "@selfsup/augment";
 * import assert from "node:assert/strict";
 *
 * const images = tf.tensor4d([0.25, 0.75], [1, 1, 2, 1]);
 * const out = adjustContrast(images, [0]);
 * assert.deepEqual(Array.from(out.dataSync()), [0.5, 0.5]);
 * tf.dispose([images, out]);
 * ```
 */
export function adjustContrast(
  images: tf.Tensor4D,
  factors: ArrayLike<number>,
  options?: ValueCheckOptions,
): tf.Tensor4D {
  const f = checked("adjustContrast", images, "factors", factors, { min: 0 }, options);
  return contrastKernel(images, f);
}

/**
 * Multiplies the HSV saturation of image i by `factors[i]` (saturation clamped at 1), keeping
 * hue and value, as `tf.image.adjust_saturation` does; computed in RGB without a round trip
 * through HSV. Grayscale (C = 1) images are returned unchanged.
 *
 * @param images Float32 `[N, H, W, C]` batch in [0, 1], C = 1 or 3.
 * @param factors One factor >= 0 per image; 0 makes the image gray.
 * @param options Whether to check the values (a read-back). Default true.
 * @returns A new tensor of the same shape; the caller disposes it.
 * @throws {RangeError} On C other than 1 or 3, values outside [0, 1] or a bad factor.
 * @throws {TypeError} On arguments of the wrong type, and images that are not a float32
 * rank-4 tensor.
 *
 * @example Factor 0 keeps only the value (the max channel)
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { adjustSaturation } from "@selfsup/augment";
 * import assert from "node:assert/strict";
 *
 * const images = tf.tensor4d([1, 0.5, 0], [1, 1, 1, 3]);
 * const out = adjustSaturation(images, [0]);
 * assert.deepEqual(Array.from(out.dataSync()), [1, 1, 1]);
 * tf.dispose([images, out]);
 * ```
 */
export function adjustSaturation(
  images: tf.Tensor4D,
  factors: ArrayLike<number>,
  options?: ValueCheckOptions,
): tf.Tensor4D {
  const f = checked("adjustSaturation", images, "factors", factors, { min: 0 }, options);
  return saturationKernel(images, f);
}

/**
 * Rotates the hue of image i by `deltas[i]` turns of the colour circle (as
 * `tf.image.adjust_hue`: 1/3 maps red to green), keeping saturation and value. Computed with
 * batched tensor ops through HSV. Grayscale (C = 1) images are returned unchanged.
 *
 * @param images Float32 `[N, H, W, C]` batch in [0, 1], C = 1 or 3.
 * @param deltas One hue shift in [-1, 1] per image.
 * @param options Whether to check the values (a read-back). Default true.
 * @returns A new tensor of the same shape; the caller disposes it.
 * @throws {RangeError} On C other than 1 or 3, values outside [0, 1] or a delta outside [-1, 1].
 * @throws {TypeError} On arguments of the wrong type, and images that are not a float32
 * rank-4 tensor.
 *
 * @example A third of a turn takes red to green
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { adjustHue } from "@selfsup/augment";
 * import assert from "node:assert/strict";
 *
 * const red = tf.tensor4d([1, 0, 0], [1, 1, 1, 3]);
 * const out = adjustHue(red, [1 / 3]);
 * const [r, g, b] = out.dataSync();
 * assert.ok(Math.abs(r) < 1e-5 && Math.abs(g - 1) < 1e-5 && Math.abs(b) < 1e-5);
 * tf.dispose([red, out]);
 * ```
 */
export function adjustHue(
  images: tf.Tensor4D,
  deltas: ArrayLike<number>,
  options?: ValueCheckOptions,
): tf.Tensor4D {
  const d = checked("adjustHue", images, "deltas", deltas, { min: -1, max: 1 }, options);
  return hueKernel(images, d);
}
