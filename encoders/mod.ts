/**
 * Backbones for self-supervised learning as `tf.LayersModel`s: ResNet-18/34/50 with an
 * ImageNet or small-image stem and a width multiplier, and a small ConvNet. Each maps NHWC
 * images to the pooled representation h of shape `[N, D]`. Their batch norm,
 * `batchNormalization`, is here for your own models too, with the fused training op
 * `batchNormTraining` and the kernel names a backend registers to run it as one kernel.
 * `inferenceModel` makes an equivalent model for frozen use (evaluation, features) with the
 * batch norms folded into the convolutions.
 *
 * Runtime-agnostic (browser, Node, Deno). Saving and loading model folders from Deno lives in
 * the separate entry point `@selfsup/encoders/model_files`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { representationDim, resNet18 } from "@selfsup/encoders";
 * import assert from "node:assert/strict";
 *
 * const encoder = resNet18({
 *   inputShape: [32, 32, 3],
 *   stem: "small",
 *   widthMultiplier: 0.125,
 *   seed: 42,
 * });
 * const images = tf.randomUniform([2, 32, 32, 3], 0, 1, "float32", 1);
 * const h = encoder.apply(images, { training: true }) as tf.Tensor;
 * assert.deepEqual(h.shape, [2, 64]);
 * assert.equal(representationDim(encoder), 64);
 * tf.dispose([images, h]);
 * encoder.dispose();
 * ```
 *
 * @example The batch norm of the encoders in a model of your own
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { batchNormalization } from "@selfsup/encoders";
 * import assert from "node:assert/strict";
 *
 * const input = tf.input({ shape: [4] });
 * const bn = batchNormalization({ epsilon: 0 });
 * const model = tf.model({ inputs: input, outputs: bn.apply(input) as tf.SymbolicTensor });
 * const x = tf.tensor2d([[0, 1, 2, 3], [2, 5, 4, 1]]);
 * const y = model.apply(x, { training: true }) as tf.Tensor; // batch statistics
 * assert.deepEqual(y.arraySync(), [[-1, -1, -1, 1], [1, 1, 1, -1]]);
 * model.dispose();
 * ```
 *
 * @module
 */
export * from "./res_net.ts";
export * from "./small_conv_net.ts";
export * from "./representation_dim.ts";
export * from "./inference_model.ts";
// The batch norm lives in @selfsup/internal, where heads builds from it too; this package is
// its public home (backends register the kernels named here).
export {
  BATCH_NORM_TRAINING_GRAD_KERNEL,
  BATCH_NORM_TRAINING_KERNEL,
  batchNormalization,
  type BatchNormalizationArgs,
  batchNormTraining,
  type BatchNormTrainingResult,
  hasBatchNormTrainingKernel,
} from "@selfsup/internal";
