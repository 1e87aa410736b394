/**
 * The fused saturation scaling of `@selfsup/augment` (`ADJUST_SATURATION_KERNEL`): one pass
 * over the pixels instead of the chain of about ten tensor ops (max, min, a division, minimum,
 * subtractions, a multiply, an add, a clip) that colour jitter runs on backends without it.
 *
 * Results are the chain's on tfjs's cpu backend bit for bit: each step below is one op of the
 * chain, computed as the cpu kernel computes it (in double from float32 operands) and rounded
 * to float32 where the op stores its output (max and min keep the first value unless a later
 * one is NaN or beyond it).
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { ADJUST_SATURATION_KERNEL } from "@selfsup/augment";
import { clip01, perImageRgbKernel, TINY } from "./_per_image_rgb.ts";
import type { BlasKernelArgs } from "./_util.ts";

const f = Math.fround;

/**
 * Scales the saturation of pixels [start, end) (RGB triples) by `factor` into `out` (which may
 * be `x`: each pixel is read before it is written).
 */
export function saturate(
  x: Float32Array,
  out: Float32Array,
  start: number,
  end: number,
  factor: number,
): void {
  for (let p = start; p < end; p += 3) {
    const R = x[p], G = x[p + 1], B = x[p + 2];
    let v = R, m = R;
    if (Number.isNaN(G) || G > v) v = G;
    if (Number.isNaN(B) || B > v) v = B;
    if (Number.isNaN(G) || G < m) m = G;
    if (Number.isNaN(B) || B < m) m = B;
    const chroma = f(v - m);
    const k = Math.min(factor, f(v / Math.max(chroma, TINY)));
    const keep = f(1 - k);
    out[p] = clip01(f(R + f(f(v - R) * keep)));
    out[p + 1] = clip01(f(G + f(f(v - G) * keep)));
    out[p + 2] = clip01(f(B + f(f(v - B) * keep)));
  }
}

/**
 * The `SelfsupAdjustSaturation` kernel: inputs `images` (float32 `[N, H, W, 3]`) and `factors`
 * (float32 `[N]`).
 */
export const adjustSaturation: (args: BlasKernelArgs) => tf.TensorInfo = perImageRgbKernel(
  ADJUST_SATURATION_KERNEL,
  "factors",
  saturate,
);
