/**
 * Faster gradients for what `tf.layers.batchNormalization` runs in training, for every
 * backend: the `FusedBatchNorm` kernel (`tf.batchNorm`) and the `Mean` kernel (its batch
 * statistics, through `tf.moments`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

let installed = false;

/**
 * The gradient of y = (x - mean) * scale / sqrt(variance + eps) + offset, written with
 * per-channel reductions and broadcasting only.
 *
 * tfjs's own gradient tiles the per-channel 1/sqrt(variance + eps) to the full size of x and
 * multiplies full-size tensors several times; here the per-channel factors stay per-channel:
 *
 * - dx = dy * (scale * r), with r = 1/sqrt(variance + eps) (one broadcast multiply)
 * - dmean = -(scale * r) * sum(dy)
 * - dvariance = -0.5 * scale * r^3 * sum(dy * (x - mean))
 * - dscale = r * sum(dy * (x - mean))
 * - doffset = sum(dy)
 *
 * where the sums run over the axes that mean broadcasts along (all but the channel axis for
 * per-channel statistics; none when the statistics have the shape of x).
 */
export const batchNormGradConfig: tf.GradConfig = {
  kernelName: "FusedBatchNorm",
  inputsToSave: ["x", "mean", "variance", "scale"],
  gradFunc: (dy, saved, attrs) => {
    const dyT = Array.isArray(dy) ? dy[0] : dy;
    const [x, mean, variance, scale] = saved;
    const eps = (attrs as unknown as tf.FusedBatchNormAttrs).varianceEpsilon;
    const axes = tf.backend_util.getReductionAxes(mean.shape, x.shape);
    const reduce = (t: tf.Tensor) => tf.reshape(axes.length > 0 ? tf.sum(t, axes) : t, mean.shape);
    const r = tf.rsqrt(tf.add(variance, eps));
    const scaleR = scale == null ? r : tf.mul(scale, r);
    // The two sums are shared by several inputs' gradients (in training all five are needed),
    // so they are taken once, here; only these small per-channel results outlive the tidy.
    const [sumDy, sumDyXc] = tf.tidy(() => [reduce(dyT), reduce(tf.mul(dyT, tf.sub(x, mean)))]);
    return {
      x: () => tf.mul(dyT, scaleR),
      mean: () => tf.mul(tf.neg(scaleR), sumDy),
      variance: () => tf.mul(tf.mul(tf.mul(scaleR, tf.square(r)), -0.5), sumDyXc),
      scale: () => tf.mul(r, sumDyXc),
      offset: () => tf.clone(sumDy),
    };
  },
};

/**
 * The gradient of `Mean` as one broadcast of dy / n.
 *
 * tfjs's own allocates `ones(x.shape)` and runs a full-size multiply and a full-size divide;
 * this gives the same values (dy / n, the division done per output element before the
 * broadcast) with a single full-size write. `tf.layers.batchNormalization` takes two means
 * per layer in training (the batch mean and variance), so this is on every step's hot path.
 */
export const meanGradConfig: tf.GradConfig = {
  kernelName: "Mean",
  inputsToSave: ["x"],
  gradFunc: (dy, saved, attrs) => {
    const dyT = Array.isArray(dy) ? dy[0] : dy;
    const [x] = saved;
    const axes = tf.util.parseAxisParam((attrs as unknown as tf.MeanAttrs).axis, x.shape);
    const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const n = axes.reduce((size, axis) => size * x.shape[axis], 1);
    return { x: () => tf.broadcastTo(tf.div(tf.reshape(dyT, kept), n), x.shape) };
  },
};

/**
 * Installs {@linkcode batchNormGradConfig} as the gradient of `FusedBatchNorm` and
 * {@linkcode meanGradConfig} as the gradient of `Mean`, replacing tfjs's for the whole process
 * and every backend (tfjs keeps one gradient per kernel). Opt-in: nothing in this package
 * calls it except `startBackend(..., { fastGradients: true })`. Idempotent.
 *
 * The results are the same gradients up to float32 rounding; they save the full-size `Tile`,
 * the `ones` tensors and several full-size multiplies per batch-norm layer, which dominate a
 * convnet training step on CPU backends.
 *
 * @returns `true` when this call installed them, `false` when they already were.
 * @example Gradient of batch norm with respect to its input
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { batchNormGradConfig, installBatchNormGradient } from "@selfsup/backends";
 *
 * tf.enableProdMode();
 * installBatchNormGradient();
 * assert.equal(tf.getGradient("FusedBatchNorm"), batchNormGradConfig);
 * const x = tf.tensor2d([[1, 2], [3, 5]]);
 * // y = (x - mean) * scale / sqrt(variance + eps) + offset, per column
 * const y = (x: tf.Tensor) => tf.batchNorm(x, [2, 3], [1, 4], [0, 0], [2, 2], 0).sum();
 * const dx = tf.grad(y)(x);
 * assert.deepEqual(await dx.array(), [[2, 1], [2, 1]]); // scale / sqrt(variance)
 * tf.dispose([x, dx]);
 * ```
 */
export function installBatchNormGradient(): boolean {
  if (installed) return false;
  tf.registerGradient(batchNormGradConfig);
  tf.registerGradient(meanGradConfig);
  installed = true;
  return true;
}
