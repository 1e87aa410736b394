// The copy behind copyModel, with the caller's function and argument names for messages (the
// learner copies its encoder and projector as byolLearner()).
import * as tf from "@tensorflow/tfjs";
import { typeError } from "@selfsup/internal";

type LayerClass = new (...args: never[]) => tf.layers.Layer;
type FromConfig = (
  cls: LayerClass,
  config: tf.serialization.ConfigDict,
  customObjects: tf.serialization.ConfigDict,
  fastWeightInit: boolean,
) => tf.LayersModel;

/** See {@linkcode copyModel}; `fn` and `name` are the public function and argument. */
export function copyLayersModel(fn: string, name: string, model: tf.LayersModel): tf.LayersModel {
  if (!(model instanceof tf.LayersModel)) throw typeError(fn, name, "a tf.LayersModel", model);
  const copy = rebuild(fn, name, model);
  try {
    copy.trainable = model.trainable;
    matchLayers(fn, name, model, copy);
    const source = model.weights;
    const target = copy.weights;
    // Equal after matchLayers, which also aligned the trainable flags that order them.
    if (
      target.length !== source.length ||
      target.some((w, i) => w.originalName !== source[i].originalName)
    ) {
      throw typeError(fn, name, "a model whose config rebuilds the same weights", model);
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

function rebuild(fn: string, name: string, model: tf.LayersModel): tf.LayersModel {
  const cls = model.constructor as unknown as LayerClass & { fromConfig: FromConfig };
  const registered = new Set(Object.keys(tf.engine().registeredVariables));
  try {
    // structuredClone: fromConfig edits the config it is given (Sequential deletes its layer
    // list, deserialisation attaches custom objects), and getConfig may share arrays with the
    // model's own fields.
    const config = structuredClone(model.getConfig());
    // fastWeightInit: zeros instead of the initialisers; every weight is overwritten below.
    return cls.fromConfig(cls, config, {}, true);
  } catch (error) {
    // The layers built before the failure are unreachable: free their variables (the rebuild
    // is synchronous, so every variable registered since it began is theirs).
    for (const [key, variable] of Object.entries(tf.engine().registeredVariables)) {
      if (!registered.has(key)) variable.dispose();
    }
    throw new TypeError(
      `${fn}(): ${name} must be rebuildable from its config, got an error: ${
        error instanceof Error ? error.message : String(error)
      }`,
      { cause: error },
    );
  }
}

// Pairs the layers of the original and the copy (by position and name, into nested models),
// gives each copied layer the original's class and each copied variable its trainable flag.
function matchLayers(
  fn: string,
  name: string,
  original: tf.LayersModel,
  copy: tf.LayersModel,
): void {
  if (copy.layers.length !== original.layers.length) {
    throw typeError(fn, name, "a model whose config rebuilds the same layers", original);
  }
  original.layers.forEach((layer, i) => {
    const twin = copy.layers[i];
    if (twin.name !== layer.name || twin.getClassName() !== layer.getClassName()) {
      throw typeError(fn, name, "a model whose config rebuilds the same layers", original);
    }
    if (layer instanceof tf.LayersModel && twin instanceof tf.LayersModel) {
      matchLayers(fn, name, layer, twin);
    } else if (twin.constructor !== layer.constructor && layer instanceof twin.constructor) {
      // A subclass saved under its parent's name (the fused batch norm): same fields and
      // config, only its methods differ, so giving the copy its prototype is exact.
      Object.setPrototypeOf(twin, Object.getPrototypeOf(layer));
    }
    const byName = new Map(twin.weights.map((w) => [w.originalName, w]));
    for (const w of layer.weights) {
      const match = byName.get(w.originalName);
      if (match === undefined) {
        throw typeError(fn, name, "a model whose config rebuilds the same weights", original);
      }
      match.trainable = w.trainable;
    }
  });
}
