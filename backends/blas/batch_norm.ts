/**
 * The `FusedBatchNorm` forward kernel: with per-channel statistics (length C = the last dim of
 * x, or 1), y = x * a[c] + b[c] where a = scale / sqrt(variance + eps) and
 * b = offset - mean * a, one pass and no broadcast temporaries. Other layouts run the cpu
 * kernel.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { allFloat32, type BlasKernelArgs, cpuKernel, sizeOf } from "./_util.ts";

/** The `FusedBatchNorm` kernel. */
export function fusedBatchNorm(args: BlasKernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const { x, mean, variance } = inputs;
  const offset: tf.TensorInfo | undefined = inputs.offset;
  const scale: tf.TensorInfo | undefined = inputs.scale;
  const channels = x.shape[x.shape.length - 1] ?? 1;
  const perChannel = [mean, variance, offset, scale].every((t) =>
    t === undefined || sizeOf(t.shape) === 1 || sizeOf(t.shape) === channels
  );
  if (!allFloat32(x, mean, variance, offset, scale) || !perChannel || x.shape.length === 0) {
    return cpuKernel("FusedBatchNorm", args) as tf.TensorInfo;
  }
  const eps = (attrs.varianceEpsilon as number | undefined) ?? 0.001;
  const at = (t: tf.TensorInfo | undefined, c: number, fallback: number) => {
    if (t === undefined) return fallback;
    const v = backend.f32(t);
    return v.length === 1 ? v[0] : v[c];
  };
  const a = new Float64Array(channels);
  const b = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    a[c] = at(scale, c, 1) / Math.sqrt(at(variance, c, 0) + eps);
    b[c] = at(offset, c, 0) - at(mean, c, 0) * a[c];
  }
  const xv = backend.f32(x);
  const out = backend.alloc(xv.length);
  for (let i = 0; i < xv.length; i += channels) {
    for (let c = 0; c < channels; c++) out[i + c] = xv[i + c] * a[c] + b[c];
  }
  return backend.output(out, x.shape.slice());
}
