/**
 * Batch normalisation with batch statistics as one op, so a backend can run it as one fused
 * kernel per direction instead of the chain of broadcasts `tf.moments` + `tf.batchNorm`
 * records (about a dozen full-size passes per layer and step on a CPU).
 *
 * Backends opt in by registering two kernels under the names below; `@selfsup/backends`
 * does for its `blas` backend. Everywhere else the op is `tf.moments` + `tf.batchNorm`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * Name of the forward kernel. Inputs `{ x, gamma, beta }` (float32; `x` with channels last,
 * `gamma` and `beta` of shape `[C]`), attribute `{ epsilon }`; outputs `[y, mean, variance]`
 * with `mean` and the biased `variance` of shape `[C]` taken over every axis but the last.
 */
export const BATCH_NORM_TRAINING_KERNEL = "SelfsupBatchNormTraining";

/**
 * Name of the gradient kernel. Inputs `{ dy, x, gamma, mean, variance, dmean, dvariance }`
 * (the forward inputs and outputs and the gradients of all three outputs), attribute
 * `{ epsilon }`; outputs `[dx, dgamma, dbeta]`.
 */
export const BATCH_NORM_TRAINING_GRAD_KERNEL = "SelfsupBatchNormTrainingGrad";

/** What {@linkcode batchNormTraining} returns. */
export interface BatchNormTrainingResult {
  /** `(x - mean) / sqrt(variance + epsilon) * gamma + beta`, the shape of x. */
  y: tf.Tensor;
  /** Per-channel batch mean, `[C]`. */
  mean: tf.Tensor1D;
  /** Per-channel biased batch variance, `[C]`. */
  variance: tf.Tensor1D;
}

const gradientConfig: tf.GradConfig = {
  kernelName: BATCH_NORM_TRAINING_KERNEL,
  inputsToSave: ["x", "gamma"],
  outputsToSave: [false, true, true],
  gradFunc: (dys, saved, attrs) => {
    const [dy, dmean, dvariance] = dys as tf.Tensor[];
    const [x, gamma, mean, variance] = saved;
    const [dx, dgamma, dbeta] = tf.engine().runKernel(
      BATCH_NORM_TRAINING_GRAD_KERNEL,
      {
        dy: dy!,
        x: x!,
        gamma: gamma!,
        mean: mean!,
        variance: variance!,
        dmean: dmean!,
        dvariance: dvariance!,
      },
      attrs,
    ) as tf.Tensor[];
    return { x: () => dx!, gamma: () => dgamma!, beta: () => dbeta! };
  },
};

/** True when the active backend has its own fused batch-norm training kernel. */
export function hasBatchNormTrainingKernel(): boolean {
  return tf.getKernel(BATCH_NORM_TRAINING_KERNEL, tf.getBackend()) !== undefined;
}

/**
 * Normalises `x` over every axis but the last with its own batch statistics, as
 * `tf.layers.batchNormalization` does in training, and returns those statistics too.
 *
 * On a backend that registers {@linkcode BATCH_NORM_TRAINING_KERNEL} (and its gradient kernel)
 * it is one kernel forward and one backward; elsewhere it is `tf.moments` + `tf.batchNorm`.
 * Both give the same values to float32 rounding, and gradients flow to x, gamma and beta (and
 * through mean and variance, when those are used).
 *
 * @param x Input with channels last, rank >= 2, float32.
 * @param gamma Per-channel scale `[C]`.
 * @param beta Per-channel offset `[C]`.
 * @param epsilon Added to the variance before the square root, >= 0.
 * @returns The normalised tensor and the batch mean and variance.
 * @throws {RangeError} When x has rank < 2, gamma or beta is not `[C]`, or epsilon < 0.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { batchNormTraining } from "./batch_norm_training.ts";
 * const x = tf.tensor2d([[1, 10], [3, 30]]);
 * const { y, mean, variance } = batchNormTraining(x, tf.ones([2]), tf.zeros([2]), 0);
 * console.log(y.arraySync(), mean.arraySync(), variance.arraySync());
 * // [[-1, -1], [1, 1]] [2, 20] [1, 100]
 * ```
 */
export function batchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  epsilon: number,
): BatchNormTrainingResult {
  const channels = x.shape[x.rank - 1];
  if (x.rank < 2) throw new RangeError(`x must have rank >= 2, got shape [${x.shape}]`);
  for (const [name, t] of [["gamma", gamma], ["beta", beta]] as const) {
    if (t.rank !== 1 || t.shape[0] !== channels) {
      throw new RangeError(`${name} must have shape [${channels}], got [${t.shape}]`);
    }
  }
  if (!(epsilon >= 0)) throw new RangeError(`epsilon must be >= 0, got ${epsilon}`);
  if (hasBatchNormTrainingKernel() && x.dtype === "float32") {
    if (tf.getGradient(BATCH_NORM_TRAINING_KERNEL) === undefined) {
      tf.registerGradient(gradientConfig);
    }
    const [y, mean, variance] = tf.engine().runKernel(
      BATCH_NORM_TRAINING_KERNEL,
      { x, gamma, beta },
      { epsilon },
    ) as tf.Tensor[];
    return { y: y!, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
  }
  return tf.tidy(() => {
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    const { mean, variance } = tf.moments(x, axes);
    const y = tf.batchNorm(x, mean, variance, beta, gamma, epsilon);
    return { y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
  });
}
