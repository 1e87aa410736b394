/**
 * The fused batch-norm training kernels of `@selfsup/encoders` (`batchNormTraining`) on the
 * blas backend: two passes over x forward (statistics, then normalise) and two backward
 * (two per-channel sums, then dx), where `tf.moments` + `tf.batchNorm` and their gradients
 * take about a dozen. With oneDNN in use they are its batch-norm primitives (every core),
 * except the backward pass when gradients flow into the mean or variance outputs.
 *
 * Loops run over blocks of rows one channel at a time, so each channel's sums and factors
 * stay in registers; sums are accumulated in float64, the forward ones shifted by the first
 * row so the variance keeps its precision when the mean is large.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { BlasKernelArgs } from "./_util.ts";

/** Rows per block: a block of C=128 channels is 32 KiB, within L1/L2. */
const BLOCK_ROWS = 64;

function checkInputs(kernel: string, inputs: Record<string, tf.TensorInfo>, names: string[]) {
  const x = inputs.x!;
  const channels = x.shape[x.shape.length - 1];
  for (const name of names) {
    const t = inputs[name];
    if (t === undefined) throw new TypeError(`${kernel}: input ${name} is missing`);
    if (t.dtype !== "float32") {
      throw new TypeError(`${kernel}: input ${name} must be float32, got ${t.dtype}`);
    }
    const perChannel = name !== "x" && name !== "dy";
    const expected = perChannel ? [channels] : x.shape;
    if (t.shape.length !== expected.length || t.shape.some((d, i) => d !== expected[i])) {
      throw new RangeError(
        `${kernel}: input ${name} must have shape [${expected}], got [${t.shape}]`,
      );
    }
  }
}

/** Forward: `[y, mean, variance]` of x `[..., C]` over every axis but the last. */
export function batchNormTraining(args: BlasKernelArgs): tf.TensorInfo[] {
  const { inputs, backend, attrs = {} } = args;
  checkInputs("batchNormTraining", inputs, ["x", "gamma", "beta"]);
  const x = backend.f32(inputs.x!);
  const gamma = backend.f32(inputs.gamma!);
  const beta = backend.f32(inputs.beta!);
  const epsilon = attrs.epsilon as number;
  const channels = gamma.length;
  const n = x.length / channels;
  // Undefined when oneDNN is not in use or could not plan the shape (said once).
  const plan = n > 0 ? backend.activeOneDnn?.batchNorm(n, channels, epsilon) : undefined;
  if (plan !== undefined) {
    const [y, mean, variance] = [
      backend.alloc(x.length),
      new Float32Array(channels),
      new Float32Array(channels),
    ];
    plan.forward(x, gamma, beta, y, mean, variance);
    return [
      backend.output(y, inputs.x!.shape.slice()),
      backend.output(mean, [channels]),
      backend.output(variance, [channels]),
    ];
  }

  const sum = new Float64Array(channels);
  const sumSquares = new Float64Array(channels);
  const shift = x.subarray(0, channels).slice();
  for (let b0 = 0; b0 < x.length; b0 += BLOCK_ROWS * channels) {
    const end = Math.min(x.length, b0 + BLOCK_ROWS * channels);
    for (let c = 0; c < channels; c++) {
      const k = shift[c]!;
      let s = 0;
      let q = 0;
      for (let i = b0 + c; i < end; i += channels) {
        const d = x[i]! - k;
        s += d;
        q += d * d;
      }
      sum[c]! += s;
      sumSquares[c]! += q;
    }
  }
  const mean = new Float32Array(channels);
  const variance = new Float32Array(channels);
  const scale = new Float64Array(channels);
  const offset = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    const shiftedMean = sum[c]! / n;
    const v = Math.max(0, sumSquares[c]! / n - shiftedMean * shiftedMean);
    mean[c] = shift[c]! + shiftedMean;
    variance[c] = v;
    scale[c] = gamma[c]! / Math.sqrt(v + epsilon);
    offset[c] = beta[c]! - (shift[c]! + shiftedMean) * scale[c]!;
  }

  const y = backend.alloc(x.length);
  for (let b0 = 0; b0 < x.length; b0 += BLOCK_ROWS * channels) {
    const end = Math.min(x.length, b0 + BLOCK_ROWS * channels);
    for (let c = 0; c < channels; c++) {
      const a = scale[c]!;
      const b = offset[c]!;
      for (let i = b0 + c; i < end; i += channels) y[i] = x[i]! * a + b;
    }
  }
  return [
    backend.output(y, inputs.x!.shape.slice()),
    backend.output(mean, [channels]),
    backend.output(variance, [channels]),
  ];
}

/**
 * Backward: `[dx, dgamma, dbeta]` from dy and the gradients of the mean and variance outputs.
 * With r = 1/sqrt(variance + eps), xc = x - mean, S1 = sum(dy), S2 = sum(dy * xc):
 * dbeta = S1, dgamma = r * S2, and
 * dx = gamma*r*(dy - S1/n - xc*r^2*S2/n) + dmean/n + 2*dvariance*xc/n,
 * which is A[c]*dy + B[c]*x + K[c] per channel.
 */
export function batchNormTrainingGrad(args: BlasKernelArgs): tf.TensorInfo[] {
  const { inputs, backend, attrs = {} } = args;
  const names = ["x", "dy", "gamma", "mean", "variance", "dmean", "dvariance"];
  checkInputs("batchNormTrainingGrad", inputs, names);
  const [x, dy, gamma, mean, variance, dmean, dvariance] = names.map((name) =>
    backend.f32(inputs[name]!)
  ) as Float32Array[];
  const epsilon = attrs.epsilon as number;
  const channels = gamma!.length;
  const n = x!.length / channels;
  // oneDNN's backward has no terms for gradients flowing into the mean and variance outputs;
  // in a batch-norm layer they only feed the moving averages, so those gradients are zero.
  const plan = n > 0 && dmean!.every((v) => v === 0) && dvariance!.every((v) => v === 0)
    ? backend.activeOneDnn?.batchNorm(n, channels, epsilon)
    : undefined;
  if (plan !== undefined) {
    const [dx, dgamma, dbeta] = [
      backend.alloc(x!.length),
      new Float32Array(channels),
      new Float32Array(channels),
    ];
    plan.backward(
      x!,
      dy!,
      gamma!,
      mean!,
      variance!,
      dx,
      dgamma,
      dbeta,
    );
    return [
      backend.output(dx, inputs.x!.shape.slice()),
      backend.output(dgamma, [channels]),
      backend.output(dbeta, [channels]),
    ];
  }

  const sumDy = new Float64Array(channels);
  const sumDyXc = new Float64Array(channels);
  for (let b0 = 0; b0 < x!.length; b0 += BLOCK_ROWS * channels) {
    const end = Math.min(x!.length, b0 + BLOCK_ROWS * channels);
    for (let c = 0; c < channels; c++) {
      const m = mean![c]!;
      let s1 = 0;
      let s2 = 0;
      for (let i = b0 + c; i < end; i += channels) {
        const g = dy![i]!;
        s1 += g;
        s2 += g * (x![i]! - m);
      }
      sumDy[c]! += s1;
      sumDyXc[c]! += s2;
    }
  }
  const dgamma = new Float32Array(channels);
  const dbeta = new Float32Array(channels);
  const a = new Float64Array(channels);
  const b = new Float64Array(channels);
  const k = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    const r = 1 / Math.sqrt(variance![c]! + epsilon);
    dgamma[c] = r * sumDyXc[c]!;
    dbeta[c] = sumDy[c]!;
    a[c] = gamma![c]! * r;
    b[c] = (-gamma![c]! * r * r * r * sumDyXc[c]! + 2 * dvariance![c]!) / n;
    k[c] = (-gamma![c]! * r * sumDy[c]! + dmean![c]!) / n - b[c]! * mean![c]!;
  }

  const dx = backend.alloc(x!.length);
  for (let b0 = 0; b0 < x!.length; b0 += BLOCK_ROWS * channels) {
    const end = Math.min(x!.length, b0 + BLOCK_ROWS * channels);
    for (let c = 0; c < channels; c++) {
      const ac = a[c]!;
      const bc = b[c]!;
      const kc = k[c]!;
      for (let i = b0 + c; i < end; i += channels) dx[i] = ac * dy![i]! + bc * x![i]! + kc;
    }
  }
  return [
    backend.output(dx, inputs.x!.shape.slice()),
    backend.output(dgamma, [channels]),
    backend.output(dbeta, [channels]),
  ];
}
