/**
 * The fused Gaussian blur of `@selfsup/augment` (`GAUSSIAN_BLUR_KERNEL`): the separable blur
 * done directly, 2 (2 radius + 1) multiply-adds per value, instead of the op chain's two
 * batched products with per-image [H, H] and [W C, W C] matrices that are almost all zeros
 * (at 96x96x3, 9 taps: 384 multiply-adds per value, and 330 KB of matrix built per image).
 *
 * Values are the chain's up to float32 summation order: the operator's entries are built as
 * the chain builds its matrices (float32, taps added in order), each pass sums in double and
 * rounds to float32 where the chain stores a tensor. Non-finite values go through the dense
 * products' rule (0 x Infinity is NaN), checked only for images that hold one.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { GAUSSIAN_BLUR_KERNEL } from "@selfsup/augment";
import { allFloat32, type BlasKernelArgs } from "./_util.ts";

const f = Math.fround;

/**
 * The 1-D operator along an axis of length `size` as a band: entry [y (2r + 1) + s - y + r] is
 * the weight of source s for output y (every source of y lies within radius of it), made as
 * the chain makes its matrix: float64 normalised taps, each added into a float32 entry.
 */
function band(sigma: number, size: number, r: number): Float32Array {
  const taps = new Float64Array(2 * r + 1);
  let total = 0;
  for (let k = 0; k <= 2 * r; k++) {
    const t = k - r;
    taps[k] = Math.exp(-(t * t) / (2 * sigma * sigma));
    total += taps[k];
  }
  const width = 2 * r + 1;
  const out = new Float32Array(size * width);
  for (let y = 0; y < size; y++) {
    for (let k = 0; k < width; k++) {
      const j = y + k - r;
      const source = j < 0 ? -j : j >= size ? 2 * (size - 1) - j : j;
      const at = y * width + source - y + r;
      out[at] = f(out[at] + taps[k] / total);
    }
  }
  return out;
}

/** True when x[start, end) holds NaN or an infinity. */
function hasNonFinite(x: Float32Array, start: number, end: number): boolean {
  for (let p = start; p < end; p++) if (x[p] - x[p] !== 0) return true;
  return false;
}

/**
 * Vertical pass of one image: out[y, j] = sum_s kv[y, s] x[s, j] over the rows of the band, in
 * double, rounded to float32. `row` is scratch of length `wc`.
 */
function vertical(
  x: Float32Array,
  base: number,
  kv: Float32Array,
  h: number,
  wc: number,
  r: number,
  out: Float32Array,
  row: Float64Array,
): void {
  const width = 2 * r + 1;
  for (let y = 0; y < h; y++) {
    row.fill(0);
    const lo = Math.max(0, y - r), hi = Math.min(h - 1, y + r);
    for (let s = lo; s <= hi; s++) {
      const weight = kv[y * width + s - y + r];
      const src = base + s * wc;
      for (let j = 0; j < wc; j++) row[j] += weight * x[src + j];
    }
    const dst = y * wc;
    for (let j = 0; j < wc; j++) out[dst + j] = f(row[j]);
  }
}

/**
 * The dense product's NaNs of the vertical pass: in column j, output y is NaN when a
 * non-finite source row lies outside y's band (where the matrix holds 0).
 */
function verticalNaNs(
  x: Float32Array,
  base: number,
  h: number,
  wc: number,
  r: number,
  out: Float32Array,
): void {
  for (let j = 0; j < wc; j++) {
    let first = -1, last = -1;
    for (let s = 0; s < h; s++) {
      const v = x[base + s * wc + j];
      if (v - v !== 0) {
        if (first < 0) first = s;
        last = s;
      }
    }
    if (first < 0) continue;
    for (let y = 0; y < h; y++) {
      if (first < y - r || last > y + r) out[y * wc + j] = NaN;
    }
  }
}

/** tfjs's ClipByValue to [0, 1] (NaN passes through). */
function clip01(v: number): number {
  return v > 1 ? 1 : v < 0 ? 0 : v;
}

/**
 * Horizontal pass of one image, rounded to float32 and clipped: out[y, x, k] = sum_s
 * kh[x, s] t[y, s, k]. Rows holding a non-finite value also get the dense product's NaNs:
 * output (x, k) is NaN when a non-finite value lies in another channel or outside x's band.
 */
function horizontal(
  t: Float32Array,
  kh: Float32Array,
  h: number,
  w: number,
  c: number,
  r: number,
  out: Float32Array,
  base: number,
): void {
  const width = 2 * r + 1;
  const wc = w * c;
  const first = new Int32Array(c), last = new Int32Array(c);
  for (let y = 0; y < h; y++) {
    const row = y * wc;
    for (let x = 0; x < w; x++) {
      const lo = Math.max(0, x - r), hi = Math.min(w - 1, x + r);
      const weights = x * width - x + r;
      for (let k = 0; k < c; k++) {
        let sum = 0;
        for (let s = lo; s <= hi; s++) sum += kh[weights + s] * t[row + s * c + k];
        out[base + row + x * c + k] = clip01(f(sum));
      }
    }
    if (!hasNonFinite(t, row, row + wc)) continue;
    first.fill(-1);
    last.fill(-1);
    let channels = 0;
    for (let s = 0; s < w; s++) {
      for (let k = 0; k < c; k++) {
        const v = t[row + s * c + k];
        if (v - v === 0) continue;
        if (first[k] < 0) {
          first[k] = s;
          channels++;
        }
        last[k] = s;
      }
    }
    for (let x = 0; x < w; x++) {
      for (let k = 0; k < c; k++) {
        const elsewhere = channels > (first[k] < 0 ? 0 : 1);
        if (elsewhere || (first[k] >= 0 && (first[k] < x - r || last[k] > x + r))) {
          out[base + row + x * c + k] = NaN;
        }
      }
    }
  }
}

/**
 * The `SelfsupGaussianBlur` kernel: input `images` (float32 `[N, H, W, C]`), attributes
 * `sigmas` (N numbers > 0) and `radius` (an integer in [0, min(H, W) - 1]).
 */
export function gaussianBlur(args: BlasKernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const { images } = inputs;
  const sigmas = attrs?.sigmas as number[] | undefined;
  const radius = attrs?.radius as number | undefined;
  const [n, h, w, c] = images.shape;
  if (
    !allFloat32(images) || images.shape.length !== 4 || !Array.isArray(sigmas) ||
    sigmas.length !== n || !sigmas.every((s) => typeof s === "number" && s > 0 && s < Infinity) ||
    !Number.isInteger(radius) || radius! < 0 || radius! >= Math.min(h, w)
  ) {
    throw new TypeError(
      `${GAUSSIAN_BLUR_KERNEL}: needs float32 images [N, H, W, C], N sigmas > 0 and a radius ` +
        `in [0, min(H, W) - 1], got ${images.dtype} [${images.shape}], sigmas ` +
        `${Array.isArray(sigmas) ? `[${sigmas}]` : sigmas} and radius ${radius}`,
    );
  }
  const r = radius!;
  const x = backend.f32(images);
  const out = backend.alloc(x.length);
  const wc = w * c, size = h * wc;
  const columns = new Float32Array(size);
  const row = new Float64Array(wc);
  for (let i = 0; i < n; i++) {
    const kv = band(sigmas[i], h, r);
    const kh = h === w ? kv : band(sigmas[i], w, r);
    const base = i * size;
    vertical(x, base, kv, h, wc, r, columns, row);
    if (hasNonFinite(x, base, base + size)) verticalNaNs(x, base, h, wc, r, columns);
    horizontal(columns, kh, h, w, c, r, out, base);
  }
  return backend.output(out, images.shape.slice());
}
