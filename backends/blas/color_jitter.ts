/**
 * The fused colour jitter of `@selfsup/augment` (`COLOR_JITTER_KERNEL`): every image's four
 * colour changes, in its own order, one image at a time (an image at 96x96x3 is 110 KB, so
 * each change reads and writes it in cache), with the clips folded in. The op chain it replaces
 * regroups the batch by component for each of the four order slots (gathers and concats of
 * whole images, dozens per call) and runs an op chain and a clip per change over the batch.
 *
 * Results are the chain's on tfjs's cpu backend bit for bit: saturation and hue are the fused
 * kernels' per-pixel arithmetic (adjust_saturation.ts, adjust_hue.ts), brightness and
 * contrast compute each op of their chains as the cpu kernels do (in double from float32
 * operands, rounded to float32 where the op stores its output), the contrast mean included,
 * which follows the cpu backend's blocked matrix product.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { COLOR_JITTER_KERNEL } from "@selfsup/augment";
import { clip01 } from "./_per_image_rgb.ts";
import { rotateHue } from "./adjust_hue.ts";
import { saturate } from "./adjust_saturation.ts";
import type { BlasKernelArgs } from "./_util.ts";

const f = Math.fround;

/**
 * The block of tfjs's cpu matMul (its backend's blockSize) along the summed axis: it adds the
 * products of up to 48 terms in double, then that sum to the float32 output.
 */
const CPU_MATMUL_BLOCK = 48;

/** Brightness of values [start, end): clip(x b), or clip(x + b) when `additive`. */
function brightness(
  x: Float32Array,
  out: Float32Array,
  start: number,
  end: number,
  b: number,
  additive: boolean,
): void {
  if (additive) {
    for (let p = start; p < end; p++) out[p] = clip01(f(x[p] + b));
  } else {
    for (let p = start; p < end; p++) out[p] = clip01(f(x[p] * b));
  }
}

/**
 * Contrast of one image of `pixels` single-channel pixels from `start`: the mean m as the cpu
 * backend's product of a row of float32(1 / pixels) with the column of values, then
 * clip(x k + (0 + m (1 - k))).
 */
function contrast1(
  x: Float32Array,
  out: Float32Array,
  start: number,
  pixels: number,
  k: number,
): void {
  const w = f(1 / pixels);
  let m = 0;
  for (let k0 = 0; k0 < pixels; k0 += CPU_MATMUL_BLOCK) {
    const stop = start + Math.min(k0 + CPU_MATMUL_BLOCK, pixels);
    let s = 0;
    for (let q = start + k0; q < stop; q++) s += w * x[q];
    m = f(m + s);
  }
  // The cpu chain spreads the offset with a ones-column product: 0 + 1 x shift.
  const o = f(m * f(1 - k)) + 0;
  const end = start + pixels;
  for (let p = start; p < end; p++) out[p] = clip01(f(f(x[p] * k) + o));
}

/** {@linkcode contrast1} for RGB pixels: one mean and one offset per channel. */
function contrast3(
  x: Float32Array,
  out: Float32Array,
  start: number,
  pixels: number,
  k: number,
): void {
  const w = f(1 / pixels);
  let m0 = 0, m1 = 0, m2 = 0;
  for (let k0 = 0; k0 < pixels; k0 += CPU_MATMUL_BLOCK) {
    const stop = start + 3 * Math.min(k0 + CPU_MATMUL_BLOCK, pixels);
    let s0 = 0, s1 = 0, s2 = 0;
    for (let q = start + 3 * k0; q < stop; q += 3) {
      s0 += w * x[q];
      s1 += w * x[q + 1];
      s2 += w * x[q + 2];
    }
    m0 = f(m0 + s0);
    m1 = f(m1 + s1);
    m2 = f(m2 + s2);
  }
  const keep = f(1 - k);
  const o0 = f(m0 * keep) + 0, o1 = f(m1 * keep) + 0, o2 = f(m2 * keep) + 0;
  const end = start + 3 * pixels;
  for (let p = start; p < end; p += 3) {
    out[p] = clip01(f(f(x[p] * k) + o0));
    out[p + 1] = clip01(f(f(x[p + 1] * k) + o1));
    out[p + 2] = clip01(f(f(x[p + 2] * k) + o2));
  }
}

/**
 * The `SelfsupColorJitter` kernel: inputs `images` (float32 `[N, H, W, C]`, C = 1 or 3),
 * `steps` (int32 `[N, 4]`: image i's components in order, -1 for none) and `params` (float32
 * `[N, 4]`: its brightness, contrast, saturation and hue parameters); attribute `additive`.
 */
export function colorJitter(args: BlasKernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const { images, steps, params } = inputs;
  const [n, h, w, c] = images.shape;
  if (
    images.dtype !== "float32" || images.shape.length !== 4 || (c !== 1 && c !== 3) ||
    steps.dtype !== "int32" || steps.shape.length !== 2 || steps.shape[0] !== n ||
    steps.shape[1] !== 4 || params.dtype !== "float32" || params.shape.length !== 2 ||
    params.shape[0] !== n || params.shape[1] !== 4
  ) {
    throw new TypeError(
      `${COLOR_JITTER_KERNEL}: needs float32 images [N, H, W, C] with C = 1 or 3, int32 steps ` +
        `[N, 4] and float32 params [N, 4], got ${images.dtype} [${images.shape}], ` +
        `${steps.dtype} [${steps.shape}] and ${params.dtype} [${params.shape}]`,
    );
  }
  const order = backend.data.get(steps.dataId).values as Int32Array;
  const bad = order.findIndex((t) => !(t >= -1 && t <= 3));
  if (bad >= 0) {
    throw new RangeError(
      `${COLOR_JITTER_KERNEL}: steps must be -1, 0, 1, 2 or 3, got ${order[bad]} ` +
        `(image ${bad >> 2}, slot ${bad & 3})`,
    );
  }
  const additive = attrs.additive === true;
  const x = backend.f32(images);
  const v = backend.f32(params);
  const out = backend.alloc(x.length);
  const pixels = h! * w!;
  const size = pixels * c!;
  for (let i = 0; i < n!; i++) {
    const start = i * size, end = start + size;
    // The first change reads the input; the others rewrite the image in `out` in place.
    let src = x;
    for (let slot = 0; slot < 4; slot++) {
      const t = order[4 * i + slot];
      if (t === -1 || (c === 1 && t >= 2)) continue;
      const value = v[4 * i + t];
      if (t === 0) brightness(src, out, start, end, value, additive);
      else if (t === 1) (c === 3 ? contrast3 : contrast1)(src, out, start, pixels, value);
      else if (t === 2) saturate(src, out, start, end, value);
      else rotateHue(src, out, start, end, f(6 * value));
      src = out;
    }
    if (src === x) out.set(x.subarray(start, end), start);
  }
  return backend.output(out, images.shape.slice());
}
