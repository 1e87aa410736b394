import type { LayersModel } from "@tensorflow/tfjs";
import { copyLayersModel } from "./_copy_layers_model.ts";

/**
 * Makes an independent copy of a model: the same architecture, layer names, classes,
 * trainable flags and weight values (batch-norm moving statistics included), in new
 * variables. This is how BYOL's target network starts (Grill et al. 2020, arXiv:2006.07733,
 * algorithm 1: the target starts as the online network); {@linkcode emaUpdate} then keeps it
 * a moving average.
 *
 * The copy is rebuilt from `model.getConfig()` (as `tf.models.modelFromJSON` rebuilds a saved
 * model, but synchronously and with its initialisers skipped, since every weight is then
 * overwritten). A layer whose class is a subclass serialised under its parent's class name,
 * as the fused batch norm of `@selfsup/internal` is (it saves as `BatchNormalization`, so
 * saved models load anywhere), would come back as the parent class; the copy gets the
 * original layer's class back, so it keeps the fast training path.
 *
 * Variable names: tfjs makes variable names unique by appending `_1`, `_2`, ... to the
 * original (`layer1_bn/gamma` becomes `layer1_bn/gamma_1`), so the copy's names still match
 * the same LARS exclusion patterns (`bias`, `/gamma`, `/beta`, `batch_normalization`) as the
 * original's, and collide with nothing. Each weight's `originalName` is the original's.
 *
 * @param model Any `tf.LayersModel` whose layers serialise (`getConfig`), e.g. an encoder or
 * head from `@selfsup/encoders` / `@selfsup/heads` or a user's Keras-style model. It is not
 * changed.
 * @returns The copy; the caller owns it and frees it with `dispose()`.
 * @throws {TypeError} If `model` is not a `tf.LayersModel` or cannot be rebuilt from its
 * config.
 *
 * @example The copy computes the same function with its own variables
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { copyModel } from "@selfsup/byol";
 *
 * const model = tf.sequential({
 *   layers: [tf.layers.dense({ inputShape: [3], units: 2, kernelInitializer: "glorotNormal" })],
 * });
 * const copy = copyModel(model);
 * const x = tf.ones([1, 3]);
 * const [a, b] = [model.predict(x), copy.predict(x)] as tf.Tensor[];
 * assert.deepEqual(a.dataSync(), b.dataSync());
 * assert.notEqual(copy.weights[0].read().id, model.weights[0].read().id);
 * tf.dispose([x, a, b]);
 * model.dispose();
 * copy.dispose();
 * ```
 */
export function copyModel(model: LayersModel): LayersModel {
  return copyLayersModel("copyModel", "model", model);
}
