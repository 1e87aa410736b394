import type * as tf from "@tensorflow/tfjs";
import { byolMlp, type ByolMlpOptions } from "./_byol_mlp.ts";

export type { ByolMlpOptions };

/**
 * Builds BYOL's projector g (Grill et al. 2020, "Bootstrap Your Own Latent",
 * arXiv:2006.07733): the MLP Linear(`hiddenDim`) -> BN -> ReLU -> Linear(`outputDim`) that maps
 * the representation y `[N, inputDim]` to the projection z `[N, outputDim]`.
 *
 * Defaults follow the paper (hidden 4096, output 256). Both linear layers have a bias; kernels
 * start as Haiku's `hk.Linear` (normal truncated at 2 sd, sd 1 / sqrt(fan_in)), biases at 0;
 * BN momentum 0.9, epsilon 1e-5. Layer names: `input`, `layer1_dense`, `layer1_bn`,
 * `layer1_relu`, `layer2_dense`. Initializer seeds come from `seed`, the kind ("projector")
 * and the layer name, so a projector and a predictor built with the same seed still differ.
 *
 * @param options Dimensions, seed and name (default `"byol_projector"`).
 * @returns An uncompiled `tf.LayersModel`; the caller disposes it.
 * @throws {TypeError} If `options` is not an object, a dimension or `seed` is not a number,
 *   or `name` is not a non-empty string.
 * @throws {RangeError} If a dimension is not an integer >= 1 or `seed` not a safe integer,
 *   naming the value.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { byolProjector } from "@selfsup/heads";
 * import assert from "node:assert/strict";
 *
 * const projector = byolProjector({ inputDim: 32, hiddenDim: 64, outputDim: 16, seed: 0 });
 * const z = projector.apply(tf.ones([4, 32]), { training: true }) as tf.Tensor;
 * assert.deepEqual(z.shape, [4, 16]);
 * z.dispose();
 * projector.dispose();
 * ```
 */
export function byolProjector(options: ByolMlpOptions): tf.LayersModel {
  return byolMlp(options, "byol_projector", "byolProjector");
}
