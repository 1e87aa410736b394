// Test helpers: float64 reference implementations written independently of the kernels (plain
// loops over nested arrays, no tensors), and small utilities. Used only by the tests.
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";

/** A nested [N][H][W][C] image batch in float64. */
export type Batch = number[][][][];

/** A seeded batch of values in [0, 1] (tf's seeded uniform, read back as nested arrays). */
export function randomBatch(shape: [number, number, number, number], seed: number): tf.Tensor4D {
  return tf.randomUniform(shape, 0, 1, "float32", seed) as tf.Tensor4D;
}

/** Reads a tensor back as nested arrays and disposes it. */
export function take(t: tf.Tensor4D): Batch {
  const out = t.arraySync();
  t.dispose();
  return out;
}

/** Largest absolute difference between two batches of the same shape. */
export function maxDiff(a: Batch, b: Batch): number {
  let m = 0;
  a.forEach((img, i) =>
    img.forEach((row, y) =>
      row.forEach((px, x) => px.forEach((v, c) => m = Math.max(m, Math.abs(v - b[i][y][x][c]))))
    )
  );
  return m;
}

const clip = (v: number) => Math.min(1, Math.max(0, v));

/** Maps every pixel of image `i` with `f(pixel, i)`. */
export function mapPixels(batch: Batch, f: (px: number[], i: number) => number[]): Batch {
  return batch.map((img, i) => img.map((row) => row.map((px) => f(px, i))));
}

/** RGB -> HSV with h in [0, 6) sextants (the textbook definition). */
export function rgbToHsv([r, g, b]: number[]): [number, number, number] {
  const v = Math.max(r, g, b);
  const c = v - Math.min(r, g, b);
  let h = 0;
  if (c > 0) {
    if (v === r) h = (((g - b) / c) % 6 + 6) % 6;
    else if (v === g) h = (b - r) / c + 2;
    else h = (r - g) / c + 4;
  }
  return [h, v > 0 ? c / v : 0, v];
}

/** HSV -> RGB by the sector table. */
export function hsvToRgb([h, s, v]: number[]): number[] {
  const c = v * s;
  const x = c * (1 - Math.abs((h % 2) - 1));
  const m = v - c;
  const sector = Math.floor(h) % 6;
  const table = [[c, x, 0], [x, c, 0], [0, c, x], [0, x, c], [x, 0, c], [c, 0, x]][sector];
  return table.map((t) => t + m);
}

/** Reference brightness: x f (or x + f), clipped. */
export function refBrightness(batch: Batch, f: number[], additive = false): Batch {
  return mapPixels(batch, (px, i) => px.map((v) => clip(additive ? v + f[i] : v * f[i])));
}

/** Reference contrast: (x - channel mean) f + mean, clipped. */
export function refContrast(batch: Batch, f: number[]): Batch {
  const means = batch.map((img) => {
    const c = img[0][0].length;
    const sums = new Array(c).fill(0);
    img.forEach((row) => row.forEach((px) => px.forEach((v, k) => sums[k] += v)));
    return sums.map((s) => s / (img.length * img[0].length));
  });
  return mapPixels(
    batch,
    (px, i) => px.map((v, k) => clip((v - means[i][k]) * f[i] + means[i][k])),
  );
}

/** Reference saturation through HSV. */
export function refSaturation(batch: Batch, f: number[]): Batch {
  return mapPixels(batch, (px, i) => {
    const [h, s, v] = rgbToHsv(px);
    return hsvToRgb([h, Math.min(1, s * f[i]), v]).map(clip);
  });
}

/** Reference hue rotation through HSV, by `d` turns. */
export function refHue(batch: Batch, d: number[]): Batch {
  return mapPixels(batch, (px, i) => {
    const [h, s, v] = rgbToHsv(px);
    return hsvToRgb([(((h + 6 * d[i]) % 6) + 6) % 6, s, v]).map(clip);
  });
}

/** Reference gaussian blur with reflect padding, kernel radius `r`, per-image sigma. */
export function refBlur(batch: Batch, sigmas: number[], r: number): Batch {
  const reflect = (i: number, n: number) => i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i;
  return batch.map((img, i) => {
    const weights = Array.from(
      { length: 2 * r + 1 },
      (_, t) => Math.exp(-((t - r) ** 2) / (2 * sigmas[i] ** 2)),
    );
    const total = weights.reduce((a, b) => a + b, 0);
    const k = weights.map((w) => w / total);
    const h = img.length, w = img[0].length;
    const pass = (get: (y: number, x: number) => number[], dy: number, dx: number) =>
      Array.from(
        { length: h },
        (_, y) =>
          Array.from({ length: w }, (_, x) =>
            get(0, 0).map((_, c) =>
              k.reduce(
                (acc, kt, t) =>
                  acc + kt * get(reflect(y + dy * (t - r), h), reflect(x + dx * (t - r), w))[c],
                0,
              )
            )),
      );
    const horizontal = pass((y, x) => img[y][x], 0, 1);
    return pass((y, x) => horizontal[y][x], 1, 0).map((row) => row.map((px) => px.map(clip)));
  });
}

/** Reference rotation by `k` quarter turns counter-clockwise: out[y][x] = in[x][W - 1 - y], k times. */
export function refRotate(img: number[][][], k: number): number[][][] {
  let out = img;
  for (let t = 0; t < k; t++) {
    const src = out, w = src[0].length;
    out = Array.from({ length: w }, (_, y) => src.map((row) => row[w - 1 - y]));
  }
  return out;
}

/** Reference cutout: a copy of `img` with rows [y0, y1) x columns [x0, x1) set to 0. */
export function refCutout(img: number[][][], [y0, y1, x0, x1]: number[]): number[][][] {
  return img.map((row, y) =>
    row.map((px, x) => y >= y0 && y < y1 && x >= x0 && x < x1 ? px.map(() => 0) : [...px])
  );
}

/** Reference Sobel magnitude of the BT.601 luma, reflect padding, / 2 sqrt(5), over C channels. */
export function refSobel(batch: Batch): Batch {
  // Reflection without repeating the edge; an axis of length 1 only has its one pixel.
  const reflect = (i: number, n: number) => n === 1 ? 0 : i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i;
  return batch.map((img) => {
    const h = img.length, w = img[0].length, c = img[0][0].length;
    const luma = img.map((row) =>
      row.map((px) => c === 3 ? 0.299 * px[0] + 0.587 * px[1] + 0.114 * px[2] : px[0])
    );
    const at = (y: number, x: number) => luma[reflect(y, h)][reflect(x, w)];
    return luma.map((row, y) =>
      row.map((_, x) => {
        const gx = at(y - 1, x + 1) + 2 * at(y, x + 1) + at(y + 1, x + 1) -
          (at(y - 1, x - 1) + 2 * at(y, x - 1) + at(y + 1, x - 1));
        const gy = at(y + 1, x - 1) + 2 * at(y + 1, x) + at(y + 1, x + 1) -
          (at(y - 1, x - 1) + 2 * at(y - 1, x) + at(y - 1, x + 1));
        const v = clip(Math.sqrt(gx * gx + gy * gy) / (2 * Math.sqrt(5)));
        return new Array(c).fill(v);
      })
    );
  });
}

/** Runs `body` on a batch built from `values`, disposes it, and asserts no tensor leaked. */
export function withBatch(
  shape: [number, number, number, number],
  values: number[],
  body: (images: tf.Tensor4D) => void,
): void {
  const before = tf.memory().numTensors;
  const images = tf.tensor4d(values, shape);
  try {
    body(images);
  } finally {
    images.dispose();
  }
  if (tf.memory().numTensors !== before) throw new Error("leaked tensors");
}

/** A fast-check sample: a small batch's shape and its values. */
export interface BatchSample {
  shape: [number, number, number, number];
  values: number[];
}

/**
 * Small batches for fast-check: N in [1, 3], H and W in [1, 5] (H = W when `square`), C = 1
 * or 3, values in [0, 1] with exact 0s and 1s mixed in.
 */
export function batchSamples(square = false): fc.Arbitrary<BatchSample> {
  return fc.record({
    n: fc.integer({ min: 1, max: 3 }),
    h: fc.integer({ min: 1, max: 5 }),
    w: fc.integer({ min: 1, max: 5 }),
    c: fc.constantFrom(1, 3),
  }).chain(({ n, h, w, c }) => {
    const shape: [number, number, number, number] = [n, h, square ? h : w, c];
    const size = shape.reduce((a, b) => a * b, 1);
    const value = fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(0, 1));
    return fc.array(value, { minLength: size, maxLength: size }).map((values) => ({
      shape,
      values,
    }));
  });
}
