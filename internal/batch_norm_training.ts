// Batch normalisation with batch statistics as one op, so a backend can run it as one fused
// kernel per direction instead of the chain of broadcasts `tf.moments` + `tf.batchNorm`
// records (about a dozen full-size passes per layer and step on a CPU).
//
// Backends opt in by registering two kernels under the names below; `@selfsup/backends` does
// for its `blas` backend. Everywhere else the op is `tf.moments` + `tf.batchNorm`. Users reach
// all of this through `@selfsup/encoders`, which re-exports it.
import * as tf from "@tensorflow/tfjs";
import { checkNumber, checkTensor, rangeError, typeError } from "./validate.ts";

/**
 * Name of the forward kernel. Inputs `{ x, gamma, beta }` (float32; `x` with channels last,
 * `gamma` and `beta` of shape `[C]`), attribute `{ epsilon }`; outputs `[y, mean, variance]`
 * with `mean` and the biased `variance` of shape `[C]` taken over every axis but the last.
 *
 * @example tfjs's own backends do not register it
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { BATCH_NORM_TRAINING_KERNEL } from "@selfsup/internal";
 * import assert from "node:assert/strict";
 *
 * assert.equal(tf.getKernel(BATCH_NORM_TRAINING_KERNEL, "cpu"), undefined);
 * ```
 */
export const BATCH_NORM_TRAINING_KERNEL = "SelfsupBatchNormTraining";

/**
 * Name of the gradient kernel. Inputs `{ dy, x, gamma, mean, variance, dmean, dvariance }`
 * (the forward inputs and outputs and the gradients of all three outputs), attribute
 * `{ epsilon }`; outputs `[dx, dgamma, dbeta]`.
 *
 * @example
 * ```ts
 * import { BATCH_NORM_TRAINING_GRAD_KERNEL } from "@selfsup/internal";
 * import assert from "node:assert/strict";
 *
 * assert.equal(BATCH_NORM_TRAINING_GRAD_KERNEL, "SelfsupBatchNormTrainingGrad");
 * ```
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

/**
 * True when the active backend has its own fused batch-norm training kernel.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { hasBatchNormTrainingKernel } from "@selfsup/internal";
 * import assert from "node:assert/strict";
 *
 * await tf.setBackend("cpu");
 * assert.equal(hasBatchNormTrainingKernel(), false); // tfjs's own backends have none
 * ```
 */
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
 * through mean and variance, when those are used). The caller disposes the three results.
 *
 * @param x Input with channels last, `[..., C]`, rank >= 2, float32.
 * @param gamma Per-channel scale `[C]`.
 * @param beta Per-channel offset `[C]`.
 * @param epsilon Added to the variance before the square root, >= 0.
 * @returns The normalised tensor and the batch mean and variance.
 * @throws {TypeError} When x, gamma or beta is not a tensor, x has rank < 2, gamma or beta
 *   rank other than 1, or epsilon is not a number.
 * @throws {RangeError} When gamma or beta does not have C entries, or epsilon is not a finite
 *   number >= 0.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { batchNormTraining } from "@selfsup/internal";
 * import assert from "node:assert/strict";
 *
 * const x = tf.tensor2d([[1, 10], [3, 30]]);
 * const { y, mean, variance } = batchNormTraining(x, tf.ones([2]), tf.zeros([2]), 0);
 * assert.deepEqual(y.arraySync(), [[-1, -1], [1, 1]]);
 * assert.deepEqual(mean.arraySync(), [2, 20]);
 * assert.deepEqual(variance.arraySync(), [1, 100]);
 * ```
 */
export function batchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  epsilon: number,
): BatchNormTrainingResult {
  const fn = "batchNormTraining";
  checkTensor(fn, "x", x);
  if (x.rank < 2) throw typeError(fn, "x", "a tensor of rank >= 2 [..., C]", x);
  const channels = x.shape[x.rank - 1];
  for (const [name, t] of [["gamma", gamma], ["beta", beta]] as const) {
    checkTensor(fn, name, t, { rank: 1, layout: "[C]" });
    if (t.shape[0] !== channels) {
      throw rangeError(fn, name, `of shape [${channels}] (C of x [${x.shape}])`, t);
    }
  }
  checkNumber(fn, "epsilon", epsilon, { min: 0 });
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
