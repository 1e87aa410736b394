/**
 * Names of the fused kernels a backend may register to speed up augmentation. Without them
 * (stock tfjs backends) the transforms run as chains of tensor ops; a backend that registers
 * one (the blas backend of `@selfsup/backends` does) must give the values of that chain, so
 * views do not depend on which backend has the kernel: the colour kernels bit for bit (their
 * float32 arithmetic is spelled out below, one rounding per op), the blur up to the order of
 * float32 summation inside its matrix products.
 *
 * @module
 */

/**
 * tfjs kernel name of the fused hue rotation behind {@linkcode adjustHue} and colour jitter.
 * Inputs: `images` float32 `[N, H, W, 3]`, `sextants` float32 `[N]` (image i's shift in sixths
 * of a turn, float32(6 delta)); output float32 `[N, H, W, 3]`. Per pixel, with every step
 * rounded to float32: luma-free channel copies r, g, b (sums 0 + R·1 + G·0 + B·0 and so on,
 * in that order), V = max and m = min of (R, G, B) (first value, then NaN or larger wins),
 * chroma V - m, safe = max(chroma, 1e-12); hue = mod((g - b) / safe, 6) where V = r, else
 * (b - r) / safe + 2 where V = g, else (r - g) / safe + 4; s = mod(hue + sextants[i], 6);
 * channel(k) = clip(V - chroma clip(min(q, 4 - q), 0, 1), 0, 1) with q = mod(s + k, 6), for
 * k = 5, 3, 1 (R, G, B). mod is floor-style (tfjs's Mod), clip is tfjs's ClipByValue.
 *
 * @example Stock backends do not have it; colour jitter then runs the op chain
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { ADJUST_HUE_KERNEL } from "@selfsup/augment";
 * import assert from "node:assert/strict";
 *
 * assert.equal(ADJUST_HUE_KERNEL, "SelfsupAdjustHue");
 * assert.equal(tf.getKernel(ADJUST_HUE_KERNEL, "cpu"), undefined);
 * ```
 */
export const ADJUST_HUE_KERNEL = "SelfsupAdjustHue";

/**
 * tfjs kernel name of the fused saturation scaling behind {@linkcode adjustSaturation} and
 * colour jitter. Inputs: `images` float32 `[N, H, W, 3]`, `factors` float32 `[N]`; output
 * float32 `[N, H, W, 3]`. Per pixel, with every step rounded to float32: V = max and m = min of
 * (R, G, B) (first value, then NaN or larger / smaller wins), chroma V - m,
 * k = min(factors[i], V / max(chroma, 1e-12)), and each channel c becomes
 * clip(c + (V - c)(1 - k), 0, 1) (tfjs's ClipByValue).
 *
 * @example Stock backends do not have it; colour jitter then runs the op chain
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { ADJUST_SATURATION_KERNEL } from "@selfsup/augment";
 * import assert from "node:assert/strict";
 *
 * assert.equal(ADJUST_SATURATION_KERNEL, "SelfsupAdjustSaturation");
 * assert.equal(tf.getKernel(ADJUST_SATURATION_KERNEL, "cpu"), undefined);
 * ```
 */
export const ADJUST_SATURATION_KERNEL = "SelfsupAdjustSaturation";

/**
 * tfjs kernel name of the fused Gaussian blur behind {@linkcode gaussianBlur} and
 * {@linkcode randomGaussianBlur}. Input: `images` float32 `[N, H, W, C]`; attributes `sigmas`
 * (N numbers > 0, as doubles), `radius` (an integer in [0, min(H, W) - 1]) and, optionally,
 * `chosen` (N booleans; absent: every image); output float32 `[N, H, W, C]`. An image not
 * chosen is copied unchanged, bit for bit (not clipped). A chosen image i is blurred along H,
 * then along W, by the 1-D operator the op chain writes as a matrix: taps
 * exp(-t^2 / (2 sigma^2)) / total for t = -radius..radius (in double), tap t of output position
 * y read from source reflect(y + t) (-j below 0, 2 (size - 1) - j past the end) and added, tap
 * by tap in t order, into a float32 entry per (y, source); the vertical result is rounded to
 * float32, the horizontal one too, then clipped to [0, 1] (tfjs's ClipByValue). Values equal
 * the chain's up to float32 summation order (within 1e-6 on [0, 1]). Non-finite values spread
 * as the chain's dense matrix products spread them: an output is NaN when any non-finite value
 * of its column (vertical pass) or of its row, any channel (horizontal pass) lies where the
 * operator's entry is 0, since 0 x Infinity is NaN. With `chosen`, one call blurs a random
 * subset in place of the chain's gathers of the chosen and the other images, its blur of the
 * chosen ones and the gathers and concat that restore the batch order.
 *
 * @example Stock backends do not have it; the blur then runs as two batched matrix products
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { GAUSSIAN_BLUR_KERNEL } from "@selfsup/augment";
 * import assert from "node:assert/strict";
 *
 * assert.equal(GAUSSIAN_BLUR_KERNEL, "SelfsupGaussianBlur");
 * assert.equal(tf.getKernel(GAUSSIAN_BLUR_KERNEL, "cpu"), undefined);
 * ```
 */
export const GAUSSIAN_BLUR_KERNEL = "SelfsupGaussianBlur";

/**
 * tfjs kernel name of the fused colour jitter behind {@linkcode randomColorJitter} and the
 * view presets: each image's brightness, contrast, saturation and hue changes in its own order
 * in one call, instead of the chain's per-slot regrouping of the batch (gathers or slices and
 * concats) and an op chain and a clip per change. Inputs: `images` float32 `[N, H, W, C]`
 * (C = 1 or 3), `steps` int32 `[N, 4]` and `params` float32 `[N, 4]`; attribute `additive`
 * (boolean); output float32 `[N, H, W, C]`. Image i goes through steps[i, 0], ..., steps[i, 3]
 * in turn, each reading the previous one's result: -1 leaves the image as it is, 0 is
 * brightness, 1 contrast, 2 saturation, 3 hue, each with its parameter params[i, component]
 * (the factor; brightness's offset when `additive`; hue's shift in turns). With every step
 * rounded to float32 and clip tfjs's ClipByValue to [0, 1] (NaN and -0 pass through):
 * brightness gives clip(x b), or clip(x + b) when `additive`; contrast gives clip(x k + o_c)
 * for channel c, with o_c = 0 + m_c (1 - k) (so -0 becomes 0) and m_c the mean of channel c
 * as tfjs's cpu backend computes the chain's product of a row of float32(1 / (H W)) with the
 * pixels: in blocks of 48 pixels, each block's products w x summed in double in pixel order
 * and the sum added to a float32 accumulator starting at 0; saturation is
 * {@linkcode ADJUST_SATURATION_KERNEL}'s arithmetic with factor params[i, 2], hue
 * {@linkcode ADJUST_HUE_KERNEL}'s with sextants float32(6 params[i, 3]); for C = 1 both leave
 * the image as it is. So the result is the chain's on the cpu backend bit for bit; callers
 * write -1 where the chain changes nothing (an image not jittered, a component of strength 0,
 * saturation or hue for C = 1, and hue in a slot where every image it would run on has shift
 * 0, which the chain skips without clipping).
 *
 * @example Stock backends do not have it; colour jitter then runs the op chain
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { COLOR_JITTER_KERNEL } from "@selfsup/augment";
 * import assert from "node:assert/strict";
 *
 * assert.equal(COLOR_JITTER_KERNEL, "SelfsupColorJitter");
 * assert.equal(tf.getKernel(COLOR_JITTER_KERNEL, "cpu"), undefined);
 * ```
 */
export const COLOR_JITTER_KERNEL = "SelfsupColorJitter";

/**
 * tfjs kernel name of the fused grayscale behind {@linkcode grayscale},
 * {@linkcode randomGrayscale} and the view presets. Input: `images` float32 `[N, H, W, 3]`;
 * attribute `chosen` (optional, N booleans; absent: every image); output float32
 * `[N, H, W, 3]`. An image not chosen is copied unchanged, bit for bit. In a chosen image every
 * channel of a pixel (R, G, B) becomes the chain's luma: the products p_R = R w_R, p_G = G w_G,
 * p_B = B w_B, each rounded to float32, with the float32 weights w = float32(0.299),
 * float32(0.587), float32(0.114); their sum in double in that order starting from 0
 * (((0 + p_R) + p_G) + p_B, so -0 becomes 0), rounded to float32; then clipped to [0, 1] by
 * tfjs's ClipByValue (NaN passes through). That is the op chain (a multiply by the weights, a
 * sum over channels, a clip, the luma repeated over three channels) on tfjs's cpu backend, bit
 * for bit, and one call instead of the chain's gathers and concat around the chosen images.
 *
 * @example Stock backends do not have it; grayscale then runs the op chain
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { GRAYSCALE_KERNEL } from "@selfsup/augment";
 * import assert from "node:assert/strict";
 *
 * assert.equal(GRAYSCALE_KERNEL, "SelfsupGrayscale");
 * assert.equal(tf.getKernel(GRAYSCALE_KERNEL, "cpu"), undefined);
 * ```
 */
export const GRAYSCALE_KERNEL = "SelfsupGrayscale";

/**
 * tfjs kernel name of the fused solarization behind {@linkcode solarize},
 * {@linkcode randomSolarize} and BYOL's second view. Input: `images` float32 `[N, H, W, C]`;
 * attributes `threshold` (a number in [0, 1]) and `chosen` (optional, N booleans; absent: every
 * image); output float32 `[N, H, W, C]`. An image not chosen is copied unchanged, bit for bit.
 * In a chosen image a value x stays x where x < float32(threshold) and becomes 1 - x rounded
 * to float32 elsewhere (NaN, which is not below it, too: 1 - NaN is NaN): the op chain (a Less,
 * a Sub from 1 and a Select) on tfjs's cpu backend, bit for bit.
 *
 * @example Stock backends do not have it; solarization then runs the op chain
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { SOLARIZE_KERNEL } from "@selfsup/augment";
 * import assert from "node:assert/strict";
 *
 * assert.equal(SOLARIZE_KERNEL, "SelfsupSolarize");
 * assert.equal(tf.getKernel(SOLARIZE_KERNEL, "cpu"), undefined);
 * ```
 */
export const SOLARIZE_KERNEL = "SelfsupSolarize";
