import * as tf from "@tensorflow/tfjs";
import { typeError } from "@selfsup/internal";

type LayerClass = new (...args: never[]) => tf.layers.Layer;
type FromConfig = (
  cls: LayerClass,
  config: tf.serialization.ConfigDict,
  customObjects: tf.serialization.ConfigDict,
  fastWeightInit: boolean,
) => tf.LayersModel;

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
export function copyModel(model: tf.LayersModel): tf.LayersModel {
  const fn = "copyModel";
  if (!(model instanceof tf.LayersModel)) {
    throw typeError(fn, "model", "a tf.LayersModel", model);
  }
  const copy = rebuild(fn, model);
  try {
    copy.trainable = model.trainable;
    matchLayers(fn, model, copy);
    const source = model.weights;
    const target = copy.weights;
    // Equal after matchLayers, which also aligned the trainable flags that order them.
    if (
      target.length !== source.length ||
      target.some((w, i) => w.originalName !== source[i].originalName)
    ) {
      throw typeError(fn, "model", "a model whose config rebuilds the same weights", model);
    }
    tf.tidy(() => {
      target.forEach((w, i) => (w.read() as tf.Variable).assign(tf.clone(source[i].read())));
    });
  } catch (error) {
    copy.dispose();
    throw error;
  }
  return copy;
}

function rebuild(fn: string, model: tf.LayersModel): tf.LayersModel {
  const cls = model.constructor as unknown as LayerClass & { fromConfig: FromConfig };
  try {
    // structuredClone: fromConfig edits the config it is given (Sequential deletes its layer
    // list, deserialisation attaches custom objects), and getConfig may share arrays with the
    // model's own fields.
    const config = structuredClone(model.getConfig());
    // fastWeightInit: zeros instead of the initialisers; every weight is overwritten below.
    return cls.fromConfig(cls, config, {}, true);
  } catch (error) {
    throw new TypeError(
      `${fn}(): model must be rebuildable from its config, got an error: ${
        error instanceof Error ? error.message : String(error)
      }`,
      { cause: error },
    );
  }
}

// Pairs the layers of the original and the copy (by position and name, into nested models),
// gives each copied layer the original's class and each copied variable its trainable flag.
function matchLayers(fn: string, original: tf.LayersModel, copy: tf.LayersModel): void {
  if (copy.layers.length !== original.layers.length) {
    throw typeError(fn, "model", "a model whose config rebuilds the same layers", original);
  }
  original.layers.forEach((layer, i) => {
    const twin = copy.layers[i];
    if (twin.name !== layer.name || twin.getClassName() !== layer.getClassName()) {
      throw typeError(fn, "model", "a model whose config rebuilds the same layers", original);
    }
    if (layer instanceof tf.LayersModel && twin instanceof tf.LayersModel) {
      matchLayers(fn, layer, twin);
    } else if (twin.constructor !== layer.constructor && layer instanceof twin.constructor) {
      // A subclass saved under its parent's name (the fused batch norm): same fields and
      // config, only its methods differ, so giving the copy its prototype is exact.
      Object.setPrototypeOf(twin, Object.getPrototypeOf(layer));
    }
    const byName = new Map(twin.weights.map((w) => [w.originalName, w]));
    for (const w of layer.weights) {
      const match = byName.get(w.originalName);
      if (match === undefined) {
        throw typeError(fn, "model", "a model whose config rebuilds the same weights", original);
      }
      match.trainable = w.trainable;
    }
  });
}
