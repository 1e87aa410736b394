// The layer helpers both model packages (`encoders`, `heads`) build from, so their batch norms
// are one layer with one set of constants.
import * as tf from "@tensorflow/tfjs";
import { batchNormalization } from "./batch_normalization.ts";
import { typeError } from "./validate.ts";

/**
 * Batch-norm momentum (decay) of google-research/simclr tf2 and BYOL: each training call keeps
 * 0.9 of the moving statistics and takes 0.1 of the batch's.
 *
 * @example
 * ```ts
 * import { BN_MOMENTUM } from "@selfsup/internal";
 * import assert from "node:assert/strict";
 *
 * assert.equal(BN_MOMENTUM, 0.9);
 * ```
 */
export const BN_MOMENTUM = 0.9;

/**
 * Batch-norm epsilon of google-research/simclr tf2, BYOL and torchvision.
 *
 * @example
 * ```ts
 * import { BN_EPSILON } from "@selfsup/internal";
 * import assert from "node:assert/strict";
 *
 * assert.equal(BN_EPSILON, 1e-5);
 * ```
 */
export const BN_EPSILON = 1e-5;

/**
 * Applies `layer` to one symbolic tensor (the cast tfjs's `apply` needs, once).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { applyTo } from "@selfsup/internal";
 * import assert from "node:assert/strict";
 *
 * const y = applyTo(tf.layers.dense({ units: 3 }), tf.input({ shape: [5] }));
 * assert.deepEqual(y.shape, [null, 3]);
 * ```
 */
export function applyTo(layer: tf.layers.Layer, x: tf.SymbolicTensor): tf.SymbolicTensor {
  return layer.apply(x) as tf.SymbolicTensor;
}

/** Options of {@linkcode applyBatchNorm}. */
export interface ApplyBatchNormOptions {
  /**
   * Learn an offset beta. Default true. With false, the layer still has a beta, but frozen at
   * zero (not trainable): tfjs 4.22's BatchNormalization reads beta unconditionally in
   * training and fails when it was built without one. Which variables are trainable is not
   * saved in model files, so a loaded model's beta is trainable again.
   */
  center?: boolean;
}

/**
 * Batch normalisation over the last axis with the house constants ({@linkcode BN_MOMENTUM},
 * {@linkcode BN_EPSILON}), gamma at one and beta at zero, through the fused
 * {@linkcode batchNormalization} layer.
 *
 * @param x The layer's input.
 * @param name The layer's name.
 * @param options `center` (default true).
 * @returns The layer's output.
 *
 * @example A batch norm without a learnt offset
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { applyBatchNorm } from "@selfsup/internal";
 * import assert from "node:assert/strict";
 *
 * const input = tf.input({ shape: [4] });
 * const model = tf.model({ inputs: input, outputs: applyBatchNorm(input, "bn", { center: false }) });
 * assert.deepEqual(model.trainableWeights.map((w) => w.originalName), ["bn/gamma"]);
 * model.dispose();
 * ```
 */
export function applyBatchNorm(
  x: tf.SymbolicTensor,
  name: string,
  options: ApplyBatchNormOptions = {},
): tf.SymbolicTensor {
  const layer = batchNormalization({
    name,
    axis: -1,
    momentum: BN_MOMENTUM,
    epsilon: BN_EPSILON,
  });
  const y = applyTo(layer, x);
  if (options.center === false) {
    const beta = layer.weights.find((w) => w.originalName === `${name}/beta`);
    if (beta === undefined) throw new Error(`applyBatchNorm(): layer ${name} has no beta`);
    beta.trainable = false;
  }
  return y;
}

/**
 * A ReLU layer named `name` applied to `x`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { applyRelu } from "@selfsup/internal";
 * import assert from "node:assert/strict";
 *
 * const input = tf.input({ shape: [2] });
 * const model = tf.model({ inputs: input, outputs: applyRelu(input, "relu") });
 * const y = model.predict(tf.tensor2d([[-1, 2]])) as tf.Tensor;
 * assert.deepEqual(y.arraySync(), [[0, 2]]);
 * ```
 */
export function applyRelu(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return applyTo(tf.layers.reLU({ name }), x);
}

/**
 * Checks a model name (a non-empty string) for the builder `fn` and returns it.
 *
 * @throws {TypeError} When `value` is not a non-empty string.
 *
 * @example
 * ```ts
 * import { checkModelName } from "@selfsup/internal";
 * import assert from "node:assert/strict";
 *
 * assert.equal(checkModelName("resNet", "encoder"), "encoder");
 * assert.throws(() => checkModelName("resNet", ""), {
 *   name: "TypeError",
 *   message: 'resNet(): name must be a non-empty string, got ""',
 * });
 * ```
 */
export function checkModelName(fn: string, value: unknown): string {
  if (typeof value !== "string" || value.length === 0) {
    throw typeError(fn, "name", "a non-empty string", value);
  }
  return value;
}
