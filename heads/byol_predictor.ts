import type * as tf from "@tensorflow/tfjs";
import { byolMlp, type ByolMlpOptions } from "./_byol_mlp.ts";

/**
 * Builds BYOL's predictor q (Grill et al. 2020, "Bootstrap Your Own Latent",
 * arXiv:2006.07733), applied to the online projection only: the same MLP shape as
 * {@linkcode byolProjector}, Linear(`hiddenDim`) -> BN -> ReLU -> Linear(`outputDim`), mapping
 * z `[N, inputDim]` to the prediction p `[N, outputDim]`.
 *
 * Defaults follow the paper (hidden 4096, output 256; `inputDim` is the projector's output,
 * 256 in the paper). Initialisation, batch norm and layer names as {@linkcode byolProjector}.
 *
 * @param options Dimensions, seed and name (default `"byol_predictor"`).
 * @returns An uncompiled `tf.LayersModel`; the caller disposes it.
 * @throws {TypeError} If `options` is not an object, a dimension or `seed` is not a number,
 *   or `name` is not a non-empty string.
 * @throws {RangeError} If a dimension is not an integer >= 1 or `seed` not a safe integer,
 *   naming the value.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { byolPredictor } from "@selfsup/heads";
 * import assert from "node:assert/strict";
 *
 * const predictor = byolPredictor({ inputDim: 16, hiddenDim: 64, outputDim: 16, seed: 1 });
 * const p = predictor.predict(tf.ones([4, 16])) as tf.Tensor;
 * assert.deepEqual(p.shape, [4, 16]);
 * p.dispose();
 * predictor.dispose();
 * ```
 */
export function byolPredictor(options: ByolMlpOptions): tf.LayersModel {
  return byolMlp(options, "byol_predictor", "byolPredictor");
}
