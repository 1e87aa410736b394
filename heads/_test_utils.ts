// Float64 reference operations on [N, D] arrays for the tests, independent of tfjs.
import * as tf from "@tensorflow/tfjs";

/** A float64 [N, D] matrix, row-major. */
export interface Matrix {
  data: Float64Array;
  rows: number;
  cols: number;
}

/** Copies a rank-2 tfjs tensor into a float64 matrix. */
export function toMatrix(t: tf.Tensor): Matrix {
  return { data: Float64Array.from(t.dataSync()), rows: t.shape[0], cols: t.shape[1] ?? 1 };
}

/** Weights of a layer as float64 arrays, in tfjs order. */
export function weightsOf(model: tf.LayersModel, layer: string): Float64Array[] {
  return model.getLayer(layer).getWeights().map((w) => Float64Array.from(w.dataSync()));
}

/** x [N, I] times kernel [I, O] (row-major), plus an optional bias [O]. */
export function dense(x: Matrix, kernel: Float64Array, cols: number, bias?: Float64Array): Matrix {
  const data = new Float64Array(x.rows * cols);
  for (let r = 0; r < x.rows; r++) {
    for (let o = 0; o < cols; o++) {
      let sum = bias ? bias[o] : 0;
      for (let i = 0; i < x.cols; i++) sum += x.data[r * x.cols + i] * kernel[i * cols + o];
      data[r * cols + o] = sum;
    }
  }
  return { data, rows: x.rows, cols };
}

/** Column means and biased variances. */
export function moments(x: Matrix): { mean: Float64Array; variance: Float64Array } {
  const mean = new Float64Array(x.cols);
  const variance = new Float64Array(x.cols);
  x.data.forEach((v, i) => mean[i % x.cols] += v / x.rows);
  x.data.forEach((v, i) => variance[i % x.cols] += (v - mean[i % x.cols]) ** 2 / x.rows);
  return { mean, variance };
}

/** Batch norm with the given statistics, epsilon 1e-5. */
export function normalize(
  x: Matrix,
  mean: Float64Array,
  variance: Float64Array,
  gamma: Float64Array,
  beta: Float64Array,
): Matrix {
  const c = x.cols;
  const data = x.data.map((v, i) =>
    (v - mean[i % c]) / Math.sqrt(variance[i % c] + 1e-5) * gamma[i % c] + beta[i % c]
  );
  return { ...x, data };
}

/** Elementwise max(x, 0). */
export function relu(x: Matrix): Matrix {
  return { ...x, data: x.data.map((v) => Math.max(v, 0)) };
}

/** Largest |a - e| / (atol + |e|). */
export function maxRelativeError(actual: tf.Tensor, expected: Matrix, atol: number): number {
  if (actual.shape.join() !== [expected.rows, expected.cols].join()) {
    throw new Error(`shape ${actual.shape} != reference [${expected.rows}, ${expected.cols}]`);
  }
  const a = actual.dataSync();
  return expected.data.reduce(
    (w, e, i) => Math.max(w, Math.abs(a[i] - e) / (atol + Math.abs(e))),
    0,
  );
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

/** A [rows, cols] float32 tensor of uniform values in [-1, 1). */
export function randomMatrix(rows: number, cols: number, seed: number): tf.Tensor2D {
  const next = mulberry32(seed);
  return tf.tensor2d(Float32Array.from({ length: rows * cols }, () => 2 * next() - 1), [
    rows,
    cols,
  ]);
}

/**
 * Replaces every weight of `model` with uniform values: kernels and biases in [-0.5, 0.5),
 * gammas and moving variances in [0.5, 1.5), betas and moving means in [-0.5, 0.5). Frozen
 * weights (the projection head's last beta) are left alone.
 */
export function randomizeWeights(model: tf.LayersModel, seed: number): void {
  const next = mulberry32(seed);
  for (const w of model.weights) {
    if (!w.trainable && !/moving_(mean|variance)$/.test(w.originalName)) continue;
    const positive = /(gamma|moving_variance)$/.test(w.originalName);
    const values = Float32Array.from(
      { length: w.shape.reduce((n: number, d) => n * (d as number), 1) },
      () => (positive ? 0.5 : -0.5) + next(),
    );
    const t = tf.tensor(values, w.shape as number[]);
    w.write(t);
    t.dispose();
  }
}
