// Test helpers the packages' tests share: float64 reference operations written from their
// definitions (independent of tfjs, so a test compares tfjs against arithmetic it does not
// share), and seeded test data from the house generator. Not published (internal/deno.json
// excludes it) and not exported from mod.ts: tests import it by relative path.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { Random } from "./random.ts";
import {
  BATCH_NORM_TRAINING_GRAD_KERNEL,
  BATCH_NORM_TRAINING_KERNEL,
} from "./batch_norm_training.ts";

/** A float64 array of any rank, row-major. */
export interface F64 {
  data: Float64Array;
  shape: number[];
}

/** Copies a tfjs tensor's values into a float64 array. */
export function toF64(t: tf.Tensor): F64 {
  return { data: Float64Array.from(t.dataSync()), shape: t.shape.slice() };
}

/** The weights of `model`'s layer `layer` as float64 arrays, in tfjs order (kernel first). */
export function weightsOf(model: tf.LayersModel, layer: string): F64[] {
  return model.getLayer(layer).getWeights().map(toF64);
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

/**
 * Largest |actual - expected| / (atol + |expected|) over all entries; throws on a shape
 * mismatch or an empty tensor (a comparison of nothing would pass vacuously).
 */
export function maxRelativeError(actual: tf.Tensor, expected: F64, atol: number): number {
  if (actual.shape.join() !== expected.shape.join()) {
    throw new Error(`shape [${actual.shape}] != reference [${expected.shape}]`);
  }
  if (expected.data.length === 0) throw new Error("maxRelativeError(): nothing to compare");
  const a = actual.dataSync();
  let worst = 0;
  expected.data.forEach((e, i) => {
    const error = Math.abs(a[i] - e) / (atol + Math.abs(e));
    worst = Number.isNaN(error) ? Infinity : Math.max(worst, error);
  });
  return worst;
}

/**
 * Asserts that two lists of arrays (outputs, gradients, weights of two runs) have the same
 * lengths and agree entry by entry within `rtol * (1 + |expected|)`; an empty list fails, so a
 * comparison of nothing cannot pass.
 */
export function assertAllClose(
  actual: readonly ArrayLike<number>[],
  expected: readonly ArrayLike<number>[],
  rtol: number,
): void {
  assert.ok(expected.length > 0, "nothing to compare");
  assert.equal(actual.length, expected.length, "number of arrays");
  actual.forEach((a, k) => {
    assert.equal(a.length, expected[k].length, `length of array ${k}`);
    for (let i = 0; i < a.length; i++) {
      const e = expected[k][i];
      assert.ok(
        Math.abs(a[i] - e) <= rtol * (1 + Math.abs(e)),
        `array ${k} [${i}]: ${a[i]} vs ${e}`,
      );
    }
  });
}

/** `length` uniform numbers in [lo, hi) from the house generator seeded with `seed`. */
export function uniform(length: number, seed: number, lo = 0, hi = 1): Float32Array {
  const random = new Random(seed);
  return Float32Array.from({ length }, () => random.uniform(lo, hi));
}

/** A float32 tensor of uniform values in [lo, hi), fixed by `seed` on every backend. */
export function randomTensor(shape: number[], seed: number, lo = 0, hi = 1): tf.Tensor {
  return tf.tensor(uniform(shape.reduce((n, d) => n * d, 1), seed, lo, hi), shape);
}

/**
 * Replaces weights of `model` with uniform values from the house generator, so a check
 * exercises every weight rather than the initial ones: gammas and moving variances in
 * [0.5, 1.5), everything else (kernels, biases, betas, moving means) in [-0.5, 0.5). Only the
 * weights `include` accepts (default: all), and never a frozen weight other than the moving
 * statistics (the projection head's last beta stays at zero). Returns how many it replaced.
 */
export function randomizeWeights(
  model: tf.LayersModel,
  seed: number,
  include: (weight: tf.LayerVariable) => boolean = () => true,
): number {
  const random = new Random(seed);
  let count = 0;
  for (const w of model.weights) {
    const moving = /moving_(mean|variance)$/.test(w.originalName);
    if (!include(w) || (!w.trainable && !moving)) continue;
    const positive = /(gamma|moving_variance)$/.test(w.originalName);
    const values = Float32Array.from(
      { length: w.shape.reduce((n: number, d) => n * (d as number), 1) },
      () => (positive ? 0.5 : -0.5) + random.next(),
    );
    const t = tf.tensor(values, w.shape as number[]);
    w.write(t);
    t.dispose();
    count++;
  }
  return count;
}

/** The CPU backend's methods the reference kernels use. */
interface CpuBackend {
  readSync(dataId: unknown): Float32Array;
  makeTensorInfo(shape: number[], dtype: "float32", values: Float32Array): tf.TensorInfo;
}

/**
 * Runs `fn` with float64 reference kernels registered on the `cpu` backend under the fused
 * batch-norm training names, so the fused path of `batchNormTraining` and of the
 * `batchNormalization` layer runs in tests on any machine (as it does on `blas`). The kernels
 * are removed afterwards, even when `fn` throws.
 *
 * Forward: mean and biased variance over every axis but the last, y = (x - mean) /
 * sqrt(variance + epsilon) * gamma + beta. Backward, with n values per channel and
 * xhat = (x - mean) / sqrt(variance + epsilon): dbeta = sum(dy), dgamma = sum(dy * xhat),
 * dx = gamma / sqrt(variance + epsilon) * (dy - mean(dy) - xhat * mean(dy * xhat))
 *   + dmean / n + dvariance * 2 (x - mean) / n.
 */
export async function withReferenceBatchNormKernels<T>(fn: () => T | Promise<T>): Promise<T> {
  if (tf.getBackend() !== "cpu") throw new Error("withReferenceBatchNormKernels(): needs cpu");
  let calls = 0;
  tf.registerKernel({
    kernelName: BATCH_NORM_TRAINING_KERNEL,
    backendName: "cpu",
    kernelFunc: ({ inputs, backend, attrs }) => {
      calls++;
      const cpu = backend as unknown as CpuBackend;
      const { x, gamma, beta } = inputs as Record<string, tf.TensorInfo>;
      const epsilon = (attrs as { epsilon: number }).epsilon;
      const xs = cpu.readSync(x.dataId), g = cpu.readSync(gamma.dataId);
      const b = cpu.readSync(beta.dataId);
      const c = g.length, n = xs.length / c;
      const { mean, variance } = moments({ data: Float64Array.from(xs), shape: [n, c] });
      const y = xs.map((v, i) =>
        (v - mean[i % c]) / Math.sqrt(variance[i % c] + epsilon) * g[i % c] + b[i % c]
      );
      return [
        cpu.makeTensorInfo(x.shape, "float32", y),
        cpu.makeTensorInfo([c], "float32", Float32Array.from(mean)),
        cpu.makeTensorInfo([c], "float32", Float32Array.from(variance)),
      ];
    },
  });
  tf.registerKernel({
    kernelName: BATCH_NORM_TRAINING_GRAD_KERNEL,
    backendName: "cpu",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const cpu = backend as unknown as CpuBackend;
      const t = inputs as Record<string, tf.TensorInfo>;
      const [dy, x, g, mean, variance, dmean, dvariance] = [
        "dy",
        "x",
        "gamma",
        "mean",
        "variance",
        "dmean",
        "dvariance",
      ].map((k) => cpu.readSync(t[k].dataId));
      const epsilon = (attrs as { epsilon: number }).epsilon;
      const c = g.length, n = x.length / c;
      const inv = Float64Array.from(variance, (v) => 1 / Math.sqrt(v + epsilon));
      const xhat = Float64Array.from(x, (v, i) => (v - mean[i % c]) * inv[i % c]);
      const dbeta = new Float64Array(c), dgamma = new Float64Array(c);
      dy.forEach((d, i) => {
        dbeta[i % c] += d;
        dgamma[i % c] += d * xhat[i];
      });
      const dx = Float32Array.from(x, (v, i) => {
        const k = i % c;
        return g[k] * inv[k] * (dy[i] - dbeta[k] / n - xhat[i] * dgamma[k] / n) + dmean[k] / n +
          dvariance[k] * 2 * (v - mean[k]) / n;
      });
      return [
        cpu.makeTensorInfo(t.x.shape, "float32", dx),
        cpu.makeTensorInfo([c], "float32", Float32Array.from(dgamma)),
        cpu.makeTensorInfo([c], "float32", Float32Array.from(dbeta)),
      ];
    },
  });
  try {
    const result = await fn();
    if (calls === 0) throw new Error("withReferenceBatchNormKernels(): fn never ran the kernel");
    return result;
  } finally {
    tf.unregisterKernel(BATCH_NORM_TRAINING_KERNEL, "cpu");
    tf.unregisterKernel(BATCH_NORM_TRAINING_GRAD_KERNEL, "cpu");
  }
}

/** Uniform images `[n, size, size, channels]` in [0, 1] from tfjs's seeded generator. */
export function images(n: number, size = 8, channels = 1, seed = 5): tf.Tensor4D {
  return tf.randomUniform([n, size, size, channels], 0, 1, "float32", seed) as tf.Tensor4D;
}

/** Copies of every weight of the models (moving statistics included), in model order. */
export function snapshot(...models: tf.LayersModel[]): Float32Array[] {
  return models.flatMap((m) => m.weights.map((w) => Float32Array.from(w.read().dataSync())));
}

/** Whether two snapshots are bit-identical (NaN included: bits, not values, are compared). */
export function sameBits(a: Float32Array[], b: Float32Array[]): boolean {
  const bits = (x: Float32Array) => new Uint32Array(x.buffer, x.byteOffset, x.length);
  return a.length === b.length && a.every((x, i) => {
    const [p, q] = [bits(x), bits(b[i])];
    return p.length === q.length && p.every((v, j) => v === q[j]);
  });
}
