// Float64 reference operations for the tests, written from the definitions (PyTorch
// semantics: symmetric padding, max-pool padding that never wins), independent of tfjs.
import * as tf from "@tensorflow/tfjs";

/** A float64 NHWC (or any-rank) array. */
export interface F64 {
  data: Float64Array;
  shape: number[];
}

/** Copies a tfjs tensor's values into a float64 array. */
export function toF64(t: tf.Tensor): F64 {
  return { data: Float64Array.from(t.dataSync()), shape: t.shape.slice() };
}

/** Weights of a layer as float64 arrays, in tfjs order (kernel first). */
export function weightsOf(model: tf.LayersModel, layer: string): F64[] {
  return model.getLayer(layer).getWeights().map(toF64);
}

/** Convolution of x [N, H, W, C] with k [kh, kw, C, F], zero padding `pad` on every side. */
export function conv2d(x: F64, k: F64, stride: number, pad: number): F64 {
  const [n, h, w, c] = x.shape;
  const [kh, kw, , f] = k.shape;
  const oh = Math.floor((h + 2 * pad - kh) / stride) + 1;
  const ow = Math.floor((w + 2 * pad - kw) / stride) + 1;
  const out = new Float64Array(n * oh * ow * f);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        for (let o = 0; o < f; o++) {
          let sum = 0;
          for (let di = 0; di < kh; di++) {
            const r = i * stride - pad + di;
            if (r < 0 || r >= h) continue;
            for (let dj = 0; dj < kw; dj++) {
              const s = j * stride - pad + dj;
              if (s < 0 || s >= w) continue;
              for (let ci = 0; ci < c; ci++) {
                sum += x.data[((b * h + r) * w + s) * c + ci] *
                  k.data[((di * kw + dj) * c + ci) * f + o];
              }
            }
          }
          out[((b * oh + i) * ow + j) * f + o] = sum;
        }
      }
    }
  }
  return { data: out, shape: [n, oh, ow, f] };
}

/**
 * Max-pool of x [N, H, W, C] with a `size` window, `stride`, `padBefore` rows/columns of
 * padding before; windows are clipped to the image, so padding never wins.
 */
export function maxPool(
  x: F64,
  size: number,
  stride: number,
  padBefore: number,
  out: number[],
): F64 {
  const [n, h, w, c] = x.shape;
  const [oh, ow] = out;
  const data = new Float64Array(n * oh * ow * c);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        for (let ci = 0; ci < c; ci++) {
          let m = -Infinity;
          for (let di = 0; di < size; di++) {
            const r = i * stride - padBefore + di;
            if (r < 0 || r >= h) continue;
            for (let dj = 0; dj < size; dj++) {
              const s = j * stride - padBefore + dj;
              if (s < 0 || s >= w) continue;
              m = Math.max(m, x.data[((b * h + r) * w + s) * c + ci]);
            }
          }
          data[((b * oh + i) * ow + j) * c + ci] = m;
        }
      }
    }
  }
  return { data, shape: [n, oh, ow, c] };
}

/** Per-channel (last axis) mean and biased variance over all other axes. */
export function moments(x: F64): { mean: Float64Array; variance: Float64Array } {
  const c = x.shape[x.shape.length - 1];
  const count = x.data.length / c;
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  x.data.forEach((v, i) => mean[i % c] += v / count);
  x.data.forEach((v, i) => variance[i % c] += (v - mean[i % c]) ** 2 / count);
  return { mean, variance };
}

/** (x - mean) / sqrt(variance + epsilon) * gamma + beta over the last axis. */
export function normalize(
  x: F64,
  mean: Float64Array,
  variance: Float64Array,
  gamma: Float64Array,
  beta: Float64Array,
  epsilon: number,
): F64 {
  const c = mean.length;
  const data = x.data.map((v, i) =>
    (v - mean[i % c]) / Math.sqrt(variance[i % c] + epsilon) * gamma[i % c] + beta[i % c]
  );
  return { data, shape: x.shape };
}

/** Elementwise max(x, 0). */
export function relu(x: F64): F64 {
  return { data: x.data.map((v) => Math.max(v, 0)), shape: x.shape };
}

/** Elementwise sum of two arrays of the same shape. */
export function add(a: F64, b: F64): F64 {
  return { data: a.data.map((v, i) => v + b.data[i]), shape: a.shape };
}

/** Mean over H and W of [N, H, W, C], giving [N, C]. */
export function globalAveragePool(x: F64): F64 {
  const [n, h, w, c] = x.shape;
  const data = new Float64Array(n * c);
  x.data.forEach((v, i) => {
    const b = Math.floor(i / (h * w * c));
    data[b * c + (i % c)] += v / (h * w);
  });
  return { data, shape: [n, c] };
}

/** Largest |a - b| / (atol + |b|) over all entries; throws on a shape mismatch. */
export function maxRelativeError(actual: tf.Tensor, expected: F64, atol: number): number {
  if (actual.shape.join() !== expected.shape.join()) {
    throw new Error(`shape ${actual.shape} != reference ${expected.shape}`);
  }
  const a = actual.dataSync();
  let worst = 0;
  expected.data.forEach((e, i) => {
    worst = Math.max(worst, Math.abs(a[i] - e) / (atol + Math.abs(e)));
  });
  return worst;
}

/**
 * Gives every batch-norm layer of `model` random gamma, beta, moving mean and moving variance
 * drawn from `next()` (uniform in [0, 1)), so inference-mode checks exercise all four.
 */
export function randomizeBatchNorms(
  model: tf.LayersModel,
  next: () => number,
): void {
  for (const layer of model.layers) {
    if (layer.getClassName() !== "BatchNormalization") continue;
    // order: gamma, beta, moving mean, moving variance
    const fresh = layer.getWeights().map((w, i) =>
      tf.tensor(
        Float32Array.from({ length: w.size }, () => {
          const u = next();
          return [0.5 + u, u - 0.5, u - 0.5, 0.5 + u][i];
        }),
        w.shape,
      )
    );
    layer.setWeights(fresh);
    tf.dispose(fresh);
  }
}

/** A small deterministic uniform [0, 1) generator (mulberry32) for test data. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
