/**
 * The fused solarization of `@selfsup/augment` (`SOLARIZE_KERNEL`): x < threshold ? x : 1 - x
 * over the chosen images in one pass, the other images copied, instead of the op chain's
 * gathers around the chosen images and its Less, Sub and Select over them.
 *
 * Results are the chain's on tfjs's cpu backend bit for bit: the threshold is compared as the
 * float32 tensor the chain makes of it, and 1 - x is computed in double and rounded to float32
 * as its Sub stores it.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { SOLARIZE_KERNEL } from "@selfsup/augment";
import { chosenFlags, describeChosen } from "./_chosen.ts";
import type { BlasKernelArgs } from "./_util.ts";

/**
 * The `SelfsupSolarize` kernel: input `images` (float32 `[N, H, W, C]`), attributes `threshold`
 * (in [0, 1]) and `chosen` (absent, or N booleans: the images to solarize).
 */
export function solarize(args: BlasKernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const { images } = inputs;
  const threshold = attrs?.threshold;
  const [n] = images.shape;
  const chosen = images.shape.length === 4 ? chosenFlags(attrs, n) : undefined;
  if (
    images.dtype !== "float32" || chosen === undefined || typeof threshold !== "number" ||
    !(threshold >= 0 && threshold <= 1)
  ) {
    throw new TypeError(
      `${SOLARIZE_KERNEL}: needs float32 images [N, H, W, C], a threshold in [0, 1] and chosen ` +
        `absent or N booleans, got ${images.dtype} [${images.shape}], threshold ` +
        `${threshold} and chosen ${describeChosen(attrs)}`,
    );
  }
  const t = Math.fround(threshold);
  const x = backend.f32(images);
  const out = backend.alloc(x.length);
  const size = x.length / n;
  for (let i = 0; i < n; i++) {
    const start = i * size, end = start + size;
    if (!chosen[i]) {
      out.set(x.subarray(start, end), start);
      continue;
    }
    for (let p = start; p < end; p++) {
      const v = x[p];
      out[p] = v < t ? v : 1 - v;
    }
  }
  return backend.output(out, images.shape.slice());
}
