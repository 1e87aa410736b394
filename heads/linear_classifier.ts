import * as tf from "@tensorflow/tfjs";
import {
  applyTo,
  checkInteger,
  checkModelName,
  checkOptions,
  checkSeed,
  layerSeed,
} from "@selfsup/internal";

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
 * @throws {TypeError} If `options` is not an object, `inputDim`, `numClasses` or `seed` is not
 *   a number, or `name` is not a non-empty string.
 * @throws {RangeError} If `inputDim` or `numClasses` is not an integer >= 1 or `seed` not a
 *   safe integer, naming the value.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { linearClassifier } from "@selfsup/heads";
 * import assert from "node:assert/strict";
 *
 * const classifier = linearClassifier({ inputDim: 64, numClasses: 10, seed: 0 });
 * const logits = classifier.predict(tf.ones([3, 64])) as tf.Tensor;
 * assert.deepEqual(logits.shape, [3, 10]);
 * logits.dispose();
 * classifier.dispose();
 * ```
 */
export function linearClassifier(options: LinearClassifierOptions): tf.LayersModel {
  const fn = "linearClassifier";
  checkOptions(fn, options);
  const { inputDim, numClasses, seed, name = "linear_classifier" } = options;
  checkInteger(fn, "inputDim", inputDim, { min: 1 });
  checkInteger(fn, "numClasses", numClasses, { min: 1 });
  checkSeed(fn, seed);
  checkModelName(fn, name);
  const input = tf.input({ shape: [inputDim], name: "input" });
  const logits = applyTo(
    tf.layers.dense({
      name: "dense",
      units: numClasses,
      kernelInitializer: tf.initializers.randomNormal({
        mean: 0,
        stddev: 0.01,
        seed: layerSeed(seed, "dense"),
      }),
    }),
    input,
  );
  return tf.model({ inputs: input, outputs: logits, name });
}
