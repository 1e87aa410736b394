import * as tf from "@tensorflow/tfjs";
import { checkOptions } from "@selfsup/internal";
import { checkImages, checkPerImage } from "./_validate.ts";

/** Options of {@linkcode normalize}. */
export interface NormalizeOptions {
  /** One mean per channel. */
  mean: ArrayLike<number>;
  /** One standard deviation (> 0) per channel. */
  std: ArrayLike<number>;
}

/**
 * Standardises each channel: (x - mean[c]) / std[c]. The result is no longer in [0, 1], so
 * this is the last step, after the views are made.
 *
 * @param images Float32 `[N, H, W, C]` batch, C = 1 or 3.
 * @param options Per-channel `mean` and `std` (C values each).
 * @returns A new tensor of the same shape; the caller disposes it.
 * @throws {RangeError} On C other than 1 or 3, a wrong number of values or a std <= 0.
 * @throws {TypeError} On arguments of the wrong type, and images that are not a float32
 * rank-4 tensor.
 *
 * @example ImageNet statistics
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { normalize } from "@selfsup/augment";
 * import assert from "node:assert/strict";
 *
 * const images = tf.tensor4d([0.485, 0.456, 0.406], [1, 1, 1, 3]);
 * const out = normalize(images, { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
 * assert.ok(Array.from(out.dataSync()).every((v) => Math.abs(v) < 1e-6));
 * tf.dispose([images, out]);
 * ```
 */
export function normalize(images: tf.Tensor4D, options: NormalizeOptions): tf.Tensor4D {
  const fn = "normalize";
  checkImages(fn, images);
  checkOptions(fn, options);
  const c = images.shape[3];
  const mean = checkPerImage(fn, "mean", options.mean, c, {}, "channel");
  const std = checkPerImage(fn, "std", options.std, c, { above: 0 }, "channel");
  return tf.tidy(() => images.sub(tf.tensor1d(mean)).div(tf.tensor1d(std)));
}
