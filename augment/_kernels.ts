// The tensor kernels behind the public transforms, without argument checks. Each takes one
// parameter per image as a JS array and returns a new tensor the caller owns; colour kernels
// clip to [0, 1] as google-research/simclr does after every step.
import * as tf from "@tensorflow/tfjs";
import { usesCpuKernels } from "./_backend.ts";
import {
  ADJUST_HUE_KERNEL,
  ADJUST_SATURATION_KERNEL,
  COLOR_JITTER_KERNEL,
  GAUSSIAN_BLUR_KERNEL,
  GRAYSCALE_KERNEL,
  SOLARIZE_KERNEL,
} from "./kernel_names.ts";
import type { CropBox } from "./random_resized_crop.ts";

// TensorFlow.js's cpu backend runs a binary op whose shapes need broadcasting (e.g. [N, 1, 1, 1]
// against [N, H, W, C]) through a generic path about 50x slower than same-shape ops, and reduces
// over non-innermost axes by transposing. So on the stock cpu backend per-image values are
// written out to full shape with TypedArray.fill (one native fill per image, no per-pixel
// loop) and per-pixel values are spread over channels by concat; channel mixes are a multiply
// by a [C] vector (which the fast path handles) plus an innermost sum. Other backends broadcast
// natively, so they get the small tensors.

/**
 * Runs the fused colour kernel `name` on the active backend when it registers one (the same
 * values as the op chain, in one pass over the pixels); undefined when it does not.
 */
function fused(name: string, images: tf.Tensor4D, perImageValues: Float32Array, key: string) {
  if (tf.getKernel(name, tf.getBackend()) === undefined) return undefined;
  return tf.tidy(() =>
    tf.engine().runKernel(name, {
      images,
      [key]: tf.tensor1d(perImageValues),
    }) as tf.Tensor4D
  );
}

/** Per-image values to combine with a [N, ...rest] tensor of shape `shape`. */
function perImage(values: ArrayLike<number>, shape: number[]): tf.Tensor4D {
  const n = values.length;
  if (!usesCpuKernels()) {
    return tf.tensor4d(Float32Array.from(values), [n, 1, 1, 1]);
  }
  const size = shape.slice(1).reduce((a, b) => a * b, 1);
  const data = new Float32Array(n * size);
  for (let i = 0; i < n; i++) data.fill(values[i], i * size, (i + 1) * size);
  return tf.tensor4d(data, shape as [number, number, number, number]);
}

/** A [N, H, W, 1] tensor repeated over 3 channels. */
function spread3(t: tf.Tensor4D): tf.Tensor4D {
  return tf.concat([t, t, t], 3);
}

/** A [N, H, W, 1] operand for an op with [N, H, W, 3]: spread out only where broadcasting is slow. */
function perPixel(t: tf.Tensor4D): tf.Tensor4D {
  return usesCpuKernels() ? spread3(t) : t;
}

/** The channel mix sum_c weights[c] x[..., c] as [N, H, W, 1]. */
function mixChannels(images: tf.Tensor4D, weights: number[]): tf.Tensor4D {
  return images.mul(tf.tensor1d(weights)).sum(3, true);
}

/**
 * Multiplies image i by `factors[i]` (SimCLRv2) or, when `additive`, adds it (BYOL); clips.
 * Factor 1 (offset 0) gives the image back exactly.
 */
export function brightnessKernel(
  images: tf.Tensor4D,
  factors: ArrayLike<number>,
  additive = false,
): tf.Tensor4D {
  return tf.tidy(() => {
    const f = perImage(factors, images.shape);
    return tf.clipByValue(additive ? images.add(f) : images.mul(f), 0, 1);
  });
}

/**
 * Moves each channel towards (factor < 1) or away from its mean over the image:
 * x f + mean (1 - f), clipped. Factor 1 gives the image back exactly.
 */
export function contrastKernel(images: tf.Tensor4D, factors: ArrayLike<number>): tf.Tensor4D {
  const [n, h, w, c] = images.shape;
  return tf.tidy(() => {
    const pixels = images.reshape([n, h * w, c]);
    // Per-image channel means [N, 1, C], as a batched ones-row product.
    const mean = tf.matMul(tf.fill([n, 1, h * w], 1 / (h * w)), pixels);
    const f = tf.tensor3d(Float32Array.from(factors), [n, 1, 1]);
    const shift = mean.mul(tf.sub(1, f));
    // The stock cpu backend spreads the [N, 1, C] offsets over the pixels with a ones-column
    // product (its broadcasting add is slow); other backends broadcast it. The values are the
    // same: the product's sum 0 + 1 x v is v, except that it turns -0 into 0, which adding 0
    // does too.
    const offset = usesCpuKernels()
      ? tf.matMul(tf.ones([n, h * w, 1]), shift).reshape(images.shape)
      : shift.add(0).reshape([n, 1, 1, c]);
    return tf.clipByValue(images.mul(perImage(factors, images.shape)).add(offset), 0, 1);
  });
}

/**
 * Scales HSV saturation by `factors[i]` (clamped at 1), done in RGB: at fixed hue and value V
 * every channel is V - V S g(hue), so scaling S by k moves each channel c to V - (V - c) k,
 * written c + (V - c)(1 - k) so that factor 1 gives the image back exactly. C = 1: a copy.
 */
export function saturationKernel(images: tf.Tensor4D, factors: ArrayLike<number>): tf.Tensor4D {
  if (images.shape[3] !== 3) return images.clone();
  const fast = fused(ADJUST_SATURATION_KERNEL, images, Float32Array.from(factors), "factors");
  if (fast !== undefined) return fast;
  return tf.tidy(() => {
    const [n, h, w] = images.shape;
    const v = images.max(3, true) as tf.Tensor4D;
    const chroma = v.sub(images.min(3, true));
    // S' / S = min(f, 1 / S) with 1 / S = V / chroma (>= 1; huge for a gray pixel).
    const k = tf.minimum(perImage(factors, [n, h, w, 1]), v.div(tf.maximum(chroma, 1e-12)));
    const out = images.add(perPixel(v).sub(images).mul(perPixel(tf.sub(1, k))));
    return tf.clipByValue(out, 0, 1) as tf.Tensor4D;
  });
}

/**
 * Rotates the hue of image i by `deltas[i]` turns (a fraction of the colour circle) through
 * HSV. C = 1, or all deltas 0: a copy.
 */
export function hueKernel(images: tf.Tensor4D, deltas: ArrayLike<number>): tf.Tensor4D {
  if (images.shape[3] !== 3 || Array.from(deltas).every((d) => d === 0)) return images.clone();
  const sextants = Float32Array.from(deltas, (d) => 6 * d);
  const fast = fused(ADJUST_HUE_KERNEL, images, sextants, "sextants");
  if (fast !== undefined) return fast;
  return tf.tidy(() => {
    const [n, h, w] = images.shape;
    const r = mixChannels(images, [1, 0, 0]);
    const g = mixChannels(images, [0, 1, 0]);
    const b = mixChannels(images, [0, 0, 1]);
    const v = images.max(3, true);
    const chroma = v.sub(images.min(3, true));
    const safe = tf.maximum(chroma, 1e-12);
    // Hue in sextants [0, 6): which channel is the max decides the sector.
    const hue = tf.where(
      v.equal(r),
      tf.mod(g.sub(b).div(safe), 6),
      tf.where(v.equal(g), b.sub(r).div(safe).add(2), r.sub(g).div(safe).add(4)),
    );
    const shifted = tf.mod(hue.add(perImage(sextants, [n, h, w, 1])), 6);
    // HSV -> RGB: channel(n) = V - chroma * clamp(min(k, 4 - k), 0, 1), k = (n + hue) mod 6,
    // n = 5, 3, 1 for R, G, B. A gray pixel has chroma 0 and keeps its value.
    const channel = (n: number): tf.Tensor4D => {
      const k = tf.mod(shifted.add(n), 6);
      return v.sub(chroma.mul(tf.clipByValue(tf.minimum(k, tf.sub(4, k)), 0, 1)));
    };
    return tf.clipByValue(tf.concat([channel(5), channel(3), channel(1)], 3), 0, 1);
  });
}

/** Whether the active backend registers the kernel `name` (stock backends have none of ours). */
export function hasKernel(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}

/** Whether the active backend registers {@linkcode COLOR_JITTER_KERNEL}. */
export function hasJitterKernel(): boolean {
  return hasKernel(COLOR_JITTER_KERNEL);
}

/**
 * One call of the fused kernel `name` ({@linkcode GRAYSCALE_KERNEL},
 * {@linkcode GAUSSIAN_BLUR_KERNEL} or {@linkcode SOLARIZE_KERNEL}; check {@linkcode hasKernel}
 * first) on the whole batch with `attrs`: it changes the images whose `chosen` flag is set
 * (every image when absent) and copies the others unchanged, so a random subset needs no
 * gathers or concats.
 */
export function fusedOnChosen(
  name: string,
  images: tf.Tensor4D,
  attrs: tf.NamedAttrMap,
  chosen?: ArrayLike<boolean>,
): tf.Tensor4D {
  const all = chosen === undefined ? attrs : { ...attrs, chosen: Array.from(chosen) };
  return tf.engine().runKernel(name, { images }, all) as tf.Tensor4D;
}

/**
 * The whole colour jitter in one call of {@linkcode COLOR_JITTER_KERNEL} (check
 * {@linkcode hasJitterKernel} first): image i runs the components `steps[4 i + slot]` (-1:
 * none) with parameters `params[4 i + component]`.
 */
export function jitterKernel(
  images: tf.Tensor4D,
  steps: Int32Array,
  params: Float32Array,
  additive: boolean,
): tf.Tensor4D {
  const n = images.shape[0];
  return tf.tidy(() =>
    tf.engine().runKernel(COLOR_JITTER_KERNEL, {
      images,
      steps: tf.tensor2d(steps, [n, 4], "int32"),
      params: tf.tensor2d(params, [n, 4]),
    }, { additive }) as tf.Tensor4D
  );
}

// ITU-R BT.601 luma weights, as torchvision's rgb_to_grayscale; they sum to 1, so a gray image
// stays gray (TensorFlow's 0.2989 variant sums to 0.9999 and would darken it).
const LUMA = [0.299, 0.587, 0.114];

/**
 * Luma of each pixel repeated over the three channels, clipped; C = 1 images are returned as a
 * copy. A backend that registers {@linkcode GRAYSCALE_KERNEL} runs that (the same values).
 */
export function grayKernel(images: tf.Tensor4D): tf.Tensor4D {
  if (images.shape[3] !== 3) return images.clone();
  if (hasKernel(GRAYSCALE_KERNEL)) return fusedOnChosen(GRAYSCALE_KERNEL, images, {});
  return tf.tidy(() => spread3(tf.clipByValue(mixChannels(images, LUMA), 0, 1)));
}

/**
 * x where x < threshold, else 1 - x. A backend that registers {@linkcode SOLARIZE_KERNEL} runs
 * that (the same values).
 */
export function solarizeKernel(images: tf.Tensor4D, threshold: number): tf.Tensor4D {
  if (hasKernel(SOLARIZE_KERNEL)) return fusedOnChosen(SOLARIZE_KERNEL, images, { threshold });
  return tf.tidy(() => tf.where(images.less(threshold), images, tf.sub(1, images)));
}

/** Normalised Gaussian taps exp(-t^2 / (2 sigma^2)), t = -radius..radius, in float64. */
function gaussianTaps(sigma: number, radius: number): number[] {
  const raw = Array.from({ length: 2 * radius + 1 }, (_, k) => {
    const t = k - radius;
    return Math.exp(-(t * t) / (2 * sigma * sigma));
  });
  const total = raw.reduce((a, b) => a + b, 0);
  return raw.map((v) => v / total);
}

/**
 * Image i's 1-D blur along an axis of length `size`, as matrix entries: output position y
 * takes tap t from source reflect(y + t) (taps falling outside are reflected back inside, so
 * every row sums to 1 and a constant stays constant). Calls `add(y, source, weight)`.
 */
function blurEntries(
  sigma: number,
  size: number,
  radius: number,
  add: (y: number, source: number, weight: number) => void,
): void {
  const taps = gaussianTaps(sigma, radius);
  for (let y = 0; y < size; y++) {
    taps.forEach((weight, k) => {
      const j = y + k - radius;
      add(y, j < 0 ? -j : j >= size ? 2 * (size - 1) - j : j, weight);
    });
  }
}

// At most this many float32 entries of horizontal blur matrices per chunk of images (64 MB).
const BLUR_MATRIX_BUDGET = 2 ** 24;

/**
 * Blurs image i with a Gaussian of std `sigmas[i]` and reflect padding: a separable blur as two
 * batched matrix products with per-image banded matrices, vertical Kv [H, H] @ X [H, W C],
 * then horizontal X [H, W C] @ Kh (x) I_C [W C, W C]. One batched convolution per axis with no
 * transposes; on the stock cpu backend it is 10-20x faster than a depthwise convolution with
 * the batch folded into channels (whose transposes and padding dominate), and it is a GEMM
 * on every backend. Images go in chunks that keep the horizontal matrices within 64 MB. A
 * backend that registers {@linkcode GAUSSIAN_BLUR_KERNEL} (blas) runs that instead: the same
 * operator applied directly, without the zeros.
 */
export function blurKernel(
  images: tf.Tensor4D,
  sigmas: ArrayLike<number>,
  radius: number,
  matrixBudget = BLUR_MATRIX_BUDGET,
): tf.Tensor4D {
  if (radius === 0) return images.clone();
  if (hasKernel(GAUSSIAN_BLUR_KERNEL)) {
    return fusedOnChosen(GAUSSIAN_BLUR_KERNEL, images, { sigmas: Array.from(sigmas), radius });
  }
  const [n, h, w, c] = images.shape;
  const wc = w * c;
  const chunk = Math.max(1, Math.floor(matrixBudget / (wc * wc)));
  return tf.tidy(() => {
    const parts: tf.Tensor4D[] = [];
    for (let start = 0; start < n; start += chunk) {
      const m = Math.min(chunk, n - start);
      const vertical = new Float32Array(m * h * h);
      const horizontal = new Float32Array(m * wc * wc);
      for (let i = 0; i < m; i++) {
        const sigma = sigmas[start + i];
        blurEntries(sigma, h, radius, (y, source, weight) => {
          vertical[i * h * h + y * h + source] += weight;
        });
        // Right-multiplying: entry (source column, output column) for every channel.
        blurEntries(sigma, w, radius, (x, source, weight) => {
          for (let k = 0; k < c; k++) {
            horizontal[i * wc * wc + (source * c + k) * wc + x * c + k] += weight;
          }
        });
      }
      const x = images.slice([start, 0, 0, 0], [m, -1, -1, -1]).reshape([m, h, wc]);
      const columns = tf.matMul(tf.tensor3d(vertical, [m, h, h]), x as tf.Tensor3D);
      const rows = tf.matMul(columns, tf.tensor3d(horizontal, [m, wc, wc]));
      parts.push(rows.reshape([m, h, w, c]));
    }
    const out = parts.length === 1 ? parts[0] : tf.concat(parts, 0);
    return tf.clipByValue(out, 0, 1) as tf.Tensor4D;
  });
}

// cropAndResize's kernels (cpu, webgl, webgpu) write 0 for a sample whose source row lies beyond
// H - 1 by a rounding error, which happens for boxes ending at 1 whenever (H - 1) / (outH - 1)
// is inexact. Ending boxes at most at END (1 - 2^-20) keeps every sample inside; only the exact
// identity case (full box, same size), where every formula is exact, is left alone.
const END = 1 - 2 ** -20;

function safeEnds(lo: number, hi: number, inSize: number, outSize: number): [number, number] {
  if (lo === 0 && hi === 1 && inSize === outSize) return [lo, hi];
  return [Math.min(lo, END), Math.min(hi, END)];
}

/**
 * Crops image i to `boxes[i]` and resizes it bilinearly, in one cropAndResize, mirrored
 * left-right where `flips[i]` (a box with x1 > x2 samples right to left); clips.
 */
export function cropKernel(
  images: tf.Tensor4D,
  boxes: ArrayLike<CropBox>,
  [outH, outW]: [number, number],
  flips?: ArrayLike<boolean>,
): tf.Tensor4D {
  const [n, h, w] = images.shape;
  const flat = new Float32Array(4 * n);
  for (let i = 0; i < n; i++) {
    const [y1, x1, y2, x2] = boxes[i];
    const [ya, yb] = safeEnds(y1, y2, h, outH);
    const [xa, xb] = safeEnds(x1, x2, w, outW);
    flat.set(flips?.[i] ? [ya, xb, yb, xa] : [ya, xa, yb, xb], 4 * i);
  }
  return tf.tidy(() => {
    const boxTensor = tf.tensor2d(flat, [n, 4]);
    const boxIndex = tf.range(0, n, 1, "int32") as tf.Tensor1D;
    const out = tf.image.cropAndResize(images, boxTensor, boxIndex, [outH, outW], "bilinear");
    return tf.clipByValue(out, 0, 1);
  });
}

/**
 * Rotates every image by `turns` quarter turns counter-clockwise (as `tf.image.rot90` and
 * `np.rot90`): a transpose and a reverse for 1 and 3, a reverse of both axes for 2. Odd turns
 * swap H and W, so callers pass square images.
 */
export function rotateKernel(images: tf.Tensor4D, turns: 1 | 2 | 3): tf.Tensor4D {
  return tf.tidy(() => {
    if (turns === 2) return tf.reverse(images, [1, 2]);
    // transposed[y][x] = image[x][y]; 90 degrees: out[y][x] = image[x][W - 1 - y], the rows of
    // the transpose reversed; 270 degrees: out[y][x] = image[H - 1 - x][y], its columns.
    const transposed = tf.transpose(images, [0, 2, 1, 3]);
    return tf.reverse(transposed, turns === 1 ? 1 : 2);
  });
}

/** One cutout hole: rows [y0, y1) and columns [x0, x1) of an image, never empty. */
export type CutoutBox = [y0: number, y1: number, x0: number, x1: number];

/**
 * Sets the pixels of image i inside `boxes[i]` to 0 in every channel: a per-image 0/1 hole
 * mask as the batched outer product of a row and a column indicator, then one multiply, so the
 * pixels outside keep their exact values (x 1 = x).
 */
export function cutoutKernel(images: tf.Tensor4D, boxes: ArrayLike<CutoutBox>): tf.Tensor4D {
  const [n, h, w] = images.shape;
  const rows = new Float32Array(n * h);
  const columns = new Float32Array(n * w);
  for (let i = 0; i < n; i++) {
    const [y0, y1, x0, x1] = boxes[i];
    rows.fill(1, i * h + y0, i * h + y1);
    columns.fill(1, i * w + x0, i * w + x1);
  }
  return tf.tidy(() => {
    const hole = tf.matMul(tf.tensor3d(rows, [n, h, 1]), tf.tensor3d(columns, [n, 1, w]));
    const keep = tf.sub(1, hole).reshape([n, h, w, 1]) as tf.Tensor4D;
    return images.mul(images.shape[3] === 3 ? perPixel(keep) : keep);
  });
}

/** Adds `noise` (one value per element of the batch, in its layout) and clips to [0, 1]. */
export function noiseKernel(images: tf.Tensor4D, noise: Float32Array): tf.Tensor4D {
  return tf.tidy(() => tf.clipByValue(images.add(tf.tensor4d(noise, images.shape)), 0, 1));
}

// The 3x3 Sobel operator as a [3, 3, 1, 2] conv2d filter (cross-correlation): output channel 0
// is Gx = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]] (right minus left), channel 1 its transpose Gy
// (bottom minus top).
const SOBEL_FILTER = [
  [[[-1, -1]], [[0, -2]], [[1, -1]]],
  [[[-2, 0]], [[0, 0]], [[2, 0]]],
  [[[-1, 1]], [[0, 2]], [[1, 1]]],
];

/**
 * The largest gradient magnitude sqrt(Gx^2 + Gy^2) any image in [0, 1] can give: 2 sqrt(5),
 * reached by a 3x3 window whose top row and middle-left pixel are 1 and the rest 0 (Gx = -2,
 * Gy = -4; the magnitude is convex, so its maximum lies at a 0/1 window: all 512 were tried). Dividing by it maps every magnitude into [0, 1] with one scale for all
 * images, so nothing is clipped and a faint image stays faint.
 */
export const SOBEL_MAX = 2 * Math.sqrt(5);

/**
 * Pads one pixel on each side of H and W by reflection without repeating the edge (OpenCV's
 * default border for Sobel, and the blur's padding), so a constant image has no edges, borders
 * included. An axis of length 1 has nothing to reflect: it repeats its only pixel.
 */
function reflectPad1(x: tf.Tensor4D): tf.Tensor4D {
  const [, h, w] = x.shape;
  const padH = tf.mirrorPad(x, [[0, 0], [1, 1], [0, 0], [0, 0]], h > 1 ? "reflect" : "symmetric");
  return tf.mirrorPad(padH, [[0, 0], [0, 0], [1, 1], [0, 0]], w > 1 ? "reflect" : "symmetric");
}

/**
 * Sobel filtering: the gradient magnitude sqrt(Gx^2 + Gy^2) of each image's BT.601 luma (the
 * image itself for C = 1) with reflect padding, divided by {@linkcode SOBEL_MAX}, repeated over
 * the image's channels.
 */
export function sobelKernel(images: tf.Tensor4D): tf.Tensor4D {
  const color = images.shape[3] === 3;
  return tf.tidy(() => {
    const luma = color ? mixChannels(images, LUMA) as tf.Tensor4D : images;
    const filter = tf.tensor4d(SOBEL_FILTER.flat(3), [3, 3, 1, 2]);
    const gradients = tf.conv2d(reflectPad1(luma), filter, 1, "valid");
    const magnitude = gradients.square().sum(3, true).sqrt().div(SOBEL_MAX);
    const out = tf.clipByValue(magnitude, 0, 1) as tf.Tensor4D;
    return color ? spread3(out) : out;
  });
}
