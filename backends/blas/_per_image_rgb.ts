/**
 * What the fused colour kernels of augmentation (hue, saturation) share: the kernel around a
 * per-pixel map of float32 `[N, H, W, 3]` images with one float32 value per image, and the
 * float32 forms of the ops their chains use.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { allFloat32, type BlasKernelArgs } from "./_util.ts";

/** tf.maximum(chroma, 1e-12)'s scalar, as the float32 tensor the op makes of it. */
export const TINY: number = Math.fround(1e-12);

/** tfjs's ClipByValue to [0, 1], as its cpu kernel (NaN and -0 pass through). */
export function clip01(x: number): number {
  return x > 1 ? 1 : x < 0 ? 0 : x;
}

/** Maps the pixels [start, end) (RGB triples) of `x` into `out` with one image's `value`. */
export type RgbMap = (
  x: Float32Array,
  out: Float32Array,
  start: number,
  end: number,
  value: number,
) => void;

/**
 * The kernel `name` with inputs `images` (float32 `[N, H, W, 3]`) and `parameter` (float32
 * `[N]`, one value per image), which applies `map` to each image; a TypeError naming both
 * shapes for anything else.
 */
export function perImageRgbKernel(
  name: string,
  parameter: string,
  map: RgbMap,
): (args: BlasKernelArgs) => tf.TensorInfo {
  return (args) => {
    const { inputs, backend } = args;
    const images = inputs.images;
    const values = inputs[parameter];
    const [n, h, w, c] = images.shape;
    if (
      !allFloat32(images, values) || images.shape.length !== 4 || c !== 3 ||
      values.shape.length !== 1 || values.shape[0] !== n
    ) {
      throw new TypeError(
        `${name}: needs float32 images [N, H, W, 3] and ${parameter} [N], got ` +
          `${images.dtype} [${images.shape}] and ${values.dtype} [${values.shape}]`,
      );
    }
    const x = backend.f32(images);
    const v = backend.f32(values);
    const out = backend.alloc(x.length);
    const size = h! * w! * 3;
    for (let i = 0; i < n!; i++) map(x, out, i * size, (i + 1) * size, v[i]!);
    return backend.output(out, images.shape.slice());
  };
}
