/**
 * The fused hue rotation of `@selfsup/augment` (`ADJUST_HUE_KERNEL`): one pass over the pixels
 * instead of the chain of about 30 tensor ops (channel mixes, max, min, divisions, selects, three
 * mods per channel, clips) that colour jitter runs on backends without it, each of which reads
 * and writes the whole batch; at 96x96x3 that chain was the largest part of making views.
 *
 * Results are the chain's on tfjs's cpu backend bit for bit: each step below is one op of the
 * chain, computed as the cpu kernel computes it (in double from float32 operands) and rounded
 * to float32 where the op stores its output, reductions included (max and min keep the first
 * value unless a later one is NaN or beyond it; the channel sums add 0 + R·1 + G·0 + B·0 in
 * that order). Only the branch `tf.where` keeps is computed: the others have no side effects.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { ADJUST_HUE_KERNEL } from "@selfsup/augment";
import { clip01, perImageRgbKernel, TINY } from "./_per_image_rgb.ts";
import type { BlasKernelArgs } from "./_util.ts";

const f = Math.fround;

/** tfjs's Mod (floor-style: the remainder takes the divisor's sign), as its cpu kernel. */
function floorMod(x: number, y: number): number {
  const rem = x % y;
  return (x < 0 && y < 0) || (x >= 0 && y >= 0) ? rem : (rem + y) % y;
}

/**
 * floorMod(x, 6) without the remainder (a call into C for doubles, most of this kernel's time)
 * for x in [-6, 12), where the hue arithmetic keeps it, and without a branch on which part of
 * that range x is in: elementwise.ts's floorModPositive, which gives floorMod's values (x - 6
 * is exact there; x + 6 is floorMod's own rem + y).
 */
function mod6(x: number): number {
  if (!(x >= -6 && x < 12)) return floorMod(x, 6);
  const s = x - (+(x >= 6) - +(x < 0)) * 6;
  return s < 6 ? s : 0;
}

/**
 * Hue rotation of image pixels [start, end) (RGB triples) by `t` sextants into `out` (which may
 * be `x`: each pixel is read before it is written).
 */
export function rotateHue(
  x: Float32Array,
  out: Float32Array,
  start: number,
  end: number,
  t: number,
): void {
  for (let p = start; p < end; p += 3) {
    const R = x[p], G = x[p + 1], B = x[p + 2];
    // mixChannels: images x [1, 0, 0] (and so on) summed over channels.
    const r = f(0 + f(R * 1) + f(G * 0) + f(B * 0));
    const g = f(0 + f(R * 0) + f(G * 1) + f(B * 0));
    const b = f(0 + f(R * 0) + f(G * 0) + f(B * 1));
    let v = R, m = R;
    if (Number.isNaN(G) || G > v) v = G;
    if (Number.isNaN(B) || B > v) v = B;
    if (Number.isNaN(G) || G < m) m = G;
    if (Number.isNaN(B) || B < m) m = B;
    const chroma = f(v - m);
    const safe = Math.max(chroma, TINY);
    const hue = v === r
      ? f(mod6(f(f(g - b) / safe)))
      : v === g
      ? f(f(f(b - r) / safe) + 2)
      : f(f(f(r - g) / safe) + 4);
    const s = f(mod6(f(hue + t)));
    const kr = f(mod6(f(s + 5)));
    const kg = f(mod6(f(s + 3)));
    const kb = f(mod6(f(s + 1)));
    out[p] = clip01(f(v - f(chroma * clip01(Math.min(kr, f(4 - kr))))));
    out[p + 1] = clip01(f(v - f(chroma * clip01(Math.min(kg, f(4 - kg))))));
    out[p + 2] = clip01(f(v - f(chroma * clip01(Math.min(kb, f(4 - kb))))));
  }
}

/**
 * The `SelfsupAdjustHue` kernel: inputs `images` (float32 `[N, H, W, 3]`) and `sextants`
 * (float32 `[N]`, image i's shift in sixths of a turn).
 */
export const adjustHue: (args: BlasKernelArgs) => tf.TensorInfo = perImageRgbKernel(
  ADJUST_HUE_KERNEL,
  "sextants",
  rotateHue,
);
