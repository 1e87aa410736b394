/**
 * Backbones for self-supervised learning as `tf.LayersModel`s: ResNet-18/34/50 with an
 * ImageNet or small-image stem and a width multiplier, and a small ConvNet. Each maps NHWC
 * images to the pooled representation h of shape `[N, D]`.
 *
 * Runtime-agnostic (browser, Node, Deno). Saving and loading model folders from Deno lives in
 * the separate entry point `@selfsup/encoders/model_files`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { representationDim, resNet18 } from "@selfsup/encoders";
 *
 * const encoder = resNet18({
 *   inputShape: [32, 32, 3],
 *   stem: "small",
 *   widthMultiplier: 0.125,
 *   seed: 42,
 * });
 * const images = tf.randomUniform([2, 32, 32, 3], 0, 1, "float32", 1);
 * const h = encoder.apply(images, { training: true }) as tf.Tensor; // [2, 64]
 * console.log(h.shape, representationDim(encoder));
 * tf.dispose([images, h]);
 * encoder.dispose();
 * ```
 *
 * @module
 */
export * from "./res_net.ts";
export * from "./small_conv_net.ts";
export * from "./representation_dim.ts";
export * from "./batch_normalization.ts";
export * from "./batch_norm_training.ts";
