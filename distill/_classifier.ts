// classifierModel's work, with the public function the user called named in messages (the
// learners build their models with it).
import * as tf from "@tensorflow/tfjs";
import { headUpTo, linearClassifier } from "@selfsup/heads";
import { checkInteger, checkKeys, checkOptions, checkSeed, typeError } from "@selfsup/internal";
import { checkHead, encoderWidth, headLayers } from "./_models.ts";
import type { ClassifierModelOptions } from "./classifier_model.ts";

export function buildClassifier(
  fn: string,
  options: ClassifierModelOptions,
): { model: tf.LayersModel; k: number } {
  checkOptions(fn, options);
  checkKeys(fn, options, ["encoder", "head", "k", "numClasses", "seed", "name"]);
  const { encoder, head, numClasses, seed, name = "classifier" } = options;
  const width = encoderWidth(fn, encoder);
  let k: number | undefined;
  if (head !== undefined) {
    checkHead(fn, head, width);
    const layers = headLayers(head);
    k = options.k === undefined
      ? Math.min(1, layers)
      : checkInteger(fn, "k", options.k, { min: 0, max: layers });
  } else if (options.k !== undefined) {
    throw typeError(fn, "k", "omitted when there is no head", options.k);
  }
  checkInteger(fn, "numClasses", numClasses, { min: 2 });
  checkSeed(fn, seed);
  if (typeof name !== "string" || name.length === 0) {
    throw typeError(fn, "name", "a non-empty string", name);
  }

  const trunk = head !== undefined && k! > 0 ? headUpTo(head, k!) : undefined;
  const featureDim = trunk === undefined ? width : trunk.outputs[0].shape[1] as number;
  const linear = linearClassifier({
    inputDim: featureDim,
    numClasses,
    seed,
    name: `${name}_linear`,
  });
  const input = tf.input({
    shape: encoder.inputs[0].shape.slice(1) as number[],
  });
  let x = encoder.apply(input) as tf.SymbolicTensor;
  if (trunk !== undefined) x = trunk.apply(x) as tf.SymbolicTensor;
  const logits = linear.apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: logits, name });
  // TensorFlow.js disposes a nested model together with the model that holds it. The encoder
  // and the head stay the caller's: keep one reference for them, so that disposing the
  // classifier frees only its linear layer.
  keepReference(encoder);
  if (trunk !== undefined) keepReference(trunk);
  return { model, k: k ?? 0 };
}

function keepReference(model: tf.LayersModel): void {
  (model as unknown as { _refCount: number })._refCount += 1;
}
