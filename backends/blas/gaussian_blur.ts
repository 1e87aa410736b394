/**
 * The fused Gaussian blur of `@selfsup/augment` (`GAUSSIAN_BLUR_KERNEL`): the separable blur
 * done directly, 2 (2 radius + 1) multiply-adds per value, instead of the op chain's two
 * batched products with per-image [H, H] and [W C, W C] matrices that are almost all zeros
 * (at 96x96x3, 9 taps: 384 multiply-adds per value, and 330 KB of matrix built per image).
 *
 * Values are the chain's up to float32 summation order: the operator's entries are built as
 * the chain builds its matrices (float32, taps added in order), each pass sums in double and
 * rounds to float32 where the chain stores a tensor. Non-finite values go through the dense
 * products' rule (0 x Infinity is NaN), checked only for images that hold one. With the
 * attribute `chosen`, only the images it flags are blurred and the others copied, so a random
 * subset costs one call instead of the gathers and concat around it.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { GAUSSIAN_BLUR_KERNEL } from "@selfsup/augment";
import { allFloat32, type BlasKernelArgs } from "./_util.ts";
import { chosenFlags, describeChosen } from "./_chosen.ts";

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
 * double, rounded to float32 by the store. Four columns at a time, kept in registers (2.5x
 * faster in V8 than accumulating whole rows in memory).
 */
function vertical(
  x: Float32Array,
  base: number,
  kv: Float32Array,
  h: number,
  wc: number,
  r: number,
  out: Float32Array,
): void {
  const width = 2 * r + 1;
  const blocked = wc - (wc % 4);
  for (let y = 0; y < h; y++) {
    const lo = Math.max(0, y - r), hi = Math.min(h - 1, y + r);
    const weights = y * width - y + r;
    const dst = y * wc;
    let j = 0;
    for (; j < blocked; j += 4) {
      let a = 0, b = 0, c = 0, d = 0;
      for (let s = lo, p = base + lo * wc + j; s <= hi; s++, p += wc) {
        const weight = kv[weights + s];
        a += weight * x[p];
        b += weight * x[p + 1];
        c += weight * x[p + 2];
        d += weight * x[p + 3];
      }
      out[dst + j] = a;
      out[dst + j + 1] = b;
      out[dst + j + 2] = c;
      out[dst + j + 3] = d;
    }
    for (; j < wc; j++) {
      let sum = 0;
      for (let s = lo, p = base + lo * wc + j; s <= hi; s++, p += wc) sum += kv[weights + s] * x[p];
      out[dst + j] = sum;
    }
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

/** Output pixel x of row `row` (at `dst`) from its own band row: the pixels near an edge. */
function edgePixel(
  t: Float32Array,
  kh: Float32Array,
  row: number,
  x: number,
  w: number,
  c: number,
  r: number,
  out: Float32Array,
  dst: number,
): void {
  const lo = Math.max(0, x - r), hi = Math.min(w - 1, x + r);
  const weights = x * (2 * r + 1) - x + r;
  for (let k = 0; k < c; k++) {
    let sum = 0;
    for (let s = lo; s <= hi; s++) sum += kh[weights + s] * t[row + s * c + k];
    out[dst + k] = clip01(f(sum));
  }
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
  // Interior pixels (radius <= x < W - radius) all use the same taps, in the same order as the
  // band's row of x = radius: a 1-D convolution with stride C along the row, four values at a
  // time in registers. Pixels nearer an edge take their own band row.
  const inner = w > 2 * r;
  const taps = kh.subarray(r * width, (r + 1) * width);
  const from = inner ? r * c : wc, to = inner ? (w - r) * c : wc;
  const blocked = from + (to - from) - ((to - from) % 4);
  for (let y = 0; y < h; y++) {
    const row = y * wc;
    const left = inner ? r : w;
    for (let x = 0; x < left; x++) edgePixel(t, kh, row, x, w, c, r, out, base + row + x * c);
    for (let x = inner ? w - r : w; x < w; x++) {
      edgePixel(t, kh, row, x, w, c, r, out, base + row + x * c);
    }
    let j = from;
    for (; j < blocked; j += 4) {
      let a = 0, b = 0, e = 0, d = 0;
      for (let q = 0, p = row + j - r * c; q < width; q++, p += c) {
        const weight = taps[q];
        a += weight * t[p];
        b += weight * t[p + 1];
        e += weight * t[p + 2];
        d += weight * t[p + 3];
      }
      const dst = base + row + j;
      out[dst] = clip01(f(a));
      out[dst + 1] = clip01(f(b));
      out[dst + 2] = clip01(f(e));
      out[dst + 3] = clip01(f(d));
    }
    for (; j < to; j++) {
      let sum = 0;
      for (let q = 0, p = row + j - r * c; q < width; q++, p += c) sum += taps[q] * t[p];
      out[base + row + j] = clip01(f(sum));
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
 * `sigmas` (N numbers > 0), `radius` (an integer in [0, min(H, W) - 1]) and `chosen` (absent,
 * or N booleans: the images to blur; the others are copied).
 */
export function gaussianBlur(args: BlasKernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const { images } = inputs;
  const sigmas = attrs?.sigmas as number[] | undefined;
  const radius = attrs?.radius as number | undefined;
  const [n, h, w, c] = images.shape;
  const chosen = images.shape.length === 4 ? chosenFlags(attrs, n) : undefined;
  if (
    !allFloat32(images) || chosen === undefined || !Array.isArray(sigmas) ||
    sigmas.length !== n || !sigmas.every((s) => typeof s === "number" && s > 0 && s < Infinity) ||
    !Number.isInteger(radius) || radius! < 0 || radius! >= Math.min(h, w)
  ) {
    throw new TypeError(
      `${GAUSSIAN_BLUR_KERNEL}: needs float32 images [N, H, W, C], N sigmas > 0, a radius ` +
        `in [0, min(H, W) - 1] and chosen absent or N booleans, got ${images.dtype} ` +
        `[${images.shape}], sigmas ${Array.isArray(sigmas) ? `[${sigmas}]` : sigmas}, radius ` +
        `${radius} and chosen ${describeChosen(attrs)}`,
    );
  }
  const r = radius!;
  const x = backend.f32(images);
  const out = backend.alloc(x.length);
  const wc = w * c, size = h * wc;
  const columns = new Float32Array(size);
  for (let i = 0; i < n; i++) {
    const base = i * size;
    if (!chosen[i]) {
      out.set(x.subarray(base, base + size), base);
      continue;
    }
    const kv = band(sigmas[i], h, r);
    const kh = h === w ? kv : band(sigmas[i], w, r);
    vertical(x, base, kv, h, wc, r, columns);
    if (hasNonFinite(x, base, base + size)) verticalNaNs(x, base, h, wc, r, columns);
    horizontal(columns, kh, h, w, c, r, out, base);
  }
  return backend.output(out, images.shape.slice());
}
