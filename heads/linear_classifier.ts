import * as tf from "@tensorflow/tfjs";
import { layerSeed } from "./_layer_seed.ts";
import { checkDim, checkName, checkSeed } from "./_validate.ts";

/** Options of {@linkcode linearClassifier}. */
export interface LinearClassifierOptions {
  /** Width of the features it classifies, `[N, inputDim]`. */
  inputDim: number;
  /** Number of classes, the width of the logits. */
  numClasses: number;
  /** Integer seed of the kernel initializer. */
  seed: number;
  /** Model name; default `"linear_classifier"`. */
  name?: string;
}

/**
 * Builds a linear classifier: one Dense layer with bias from features `[N, inputDim]` to
 * logits `[N, numClasses]`, for linear evaluation on frozen features and for SimCLRv2
 * fine-tuning (google-research/simclr tf2 `SupervisedHead`: kernel from N(0, 0.01^2), bias 0).
 * No softmax: pair it with a cross-entropy on logits.
 *
 * The layer is named `dense` (input `input`).
 *
 * @param options Input width, class count, seed and name.
 * @returns An uncompiled `tf.LayersModel`; the caller disposes it.
 * @throws {RangeError} If `inputDim`, `numClasses` or `seed` is not allowed, naming the value.
 * @throws {TypeError} If `name` is not a non-empty string.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { linearClassifier } from "@selfsup/heads";
 *
 * const classifier = linearClassifier({ inputDim: 64, numClasses: 10, seed: 0 });
 * const logits = classifier.predict(tf.ones([3, 64])) as tf.Tensor;
 * console.log(logits.shape); // [3, 10]
 * logits.dispose();
 * classifier.dispose();
 * ```
 */
export function linearClassifier(options: LinearClassifierOptions): tf.LayersModel {
  const where = "linearClassifier()";
  const { inputDim, numClasses, seed, name = "linear_classifier" } = options;
  checkDim(inputDim, "inputDim", where);
  checkDim(numClasses, "numClasses", where);
  checkSeed(seed, where);
  checkName(name, where);
  const input = tf.input({ shape: [inputDim], name: "input" });
  const logits = tf.layers.dense({
    name: "dense",
    units: numClasses,
    kernelInitializer: tf.initializers.randomNormal({
      mean: 0,
      stddev: 0.01,
      seed: layerSeed(seed, "dense"),
    }),
  }).apply(input) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits, name });
}
