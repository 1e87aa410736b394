/**
 * The fused grayscale of `@selfsup/augment` (`GRAYSCALE_KERNEL`): the luma of every pixel of
 * the chosen images in one pass, the other images copied. The op chain it replaces gathers the
 * chosen images (fresh memory at every odd subset size), multiplies them by the weights, sums
 * over channels, clips, concatenates the luma three times, then gathers the rest and gathers
 * everything back into batch order.
 *
 * Results are the chain's on tfjs's cpu backend bit for bit: each product rounded to float32
 * as its Multiply stores it, the three summed in double from 0 as its Sum does and rounded to
 * float32, then its ClipByValue.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { GRAYSCALE_KERNEL } from "@selfsup/augment";
import { clip01 } from "./_per_image_rgb.ts";
import { chosenFlags, describeChosen } from "./_chosen.ts";
import type { BlasKernelArgs } from "./_util.ts";

const f = Math.fround;

// The chain's luma weights (BT.601) as the float32 tensor it multiplies by.
const WR = f(0.299), WG = f(0.587), WB = f(0.114);

/** Pixels [start, end) (RGB triples) of `x` to their luma in every channel of `out`. */
export function luma(x: Float32Array, out: Float32Array, start: number, end: number): void {
  for (let p = start; p < end; p += 3) {
    // Sum's accumulator: a double from 0, so three -0 products give +0.
    let s = 0;
    s += f(x[p] * WR);
    s += f(x[p + 1] * WG);
    s += f(x[p + 2] * WB);
    const g = clip01(f(s));
    out[p] = g;
    out[p + 1] = g;
    out[p + 2] = g;
  }
}

/**
 * The `SelfsupGrayscale` kernel: input `images` (float32 `[N, H, W, 3]`), attribute `chosen`
 * (absent, or N booleans: the images to convert).
 */
export function grayscale(args: BlasKernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const { images } = inputs;
  const [n, h, w, c] = images.shape;
  const chosen = images.shape.length === 4 ? chosenFlags(attrs, n) : undefined;
  if (images.dtype !== "float32" || c !== 3 || chosen === undefined) {
    throw new TypeError(
      `${GRAYSCALE_KERNEL}: needs float32 images [N, H, W, 3] and chosen absent or N booleans, ` +
        `got ${images.dtype} [${images.shape}] and chosen ${describeChosen(attrs)}`,
    );
  }
  const x = backend.f32(images);
  const out = backend.alloc(x.length);
  const size = h * w * 3;
  for (let i = 0; i < n; i++) {
    const start = i * size, end = start + size;
    if (chosen[i]) luma(x, out, start, end);
    else out.set(x.subarray(start, end), start);
  }
  return backend.output(out, images.shape.slice());
}
