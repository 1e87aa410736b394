import type * as tf from "@tensorflow/tfjs";
import { buildClassifier } from "./_classifier.ts";

/** Options of {@linkcode classifierModel}. */
export interface ClassifierModelOptions {
  /** The encoder: images `[N, H, W, C]` to the representation h `[N, D]`. */
  encoder: tf.LayersModel;
  /**
   * A projection head from `@selfsup/heads` (`projectionHead`) taking h `[N, D]`; its first `k`
   * linear layers go between the encoder and the linear layer. Omit it for encoder -> linear
   * (a distillation student, or a classifier from h).
   */
  head?: tf.LayersModel;
  /**
   * How many linear layers of `head` to keep, 0 (from h) to the head's `layers`. Default 1,
   * SimCLRv2's choice for its 3-layer head (0 for a head without layers). Only with `head`.
   */
  k?: number;
  /** Number of classes, at least 2: the width of the logits. */
  numClasses: number;
  /** Integer seed of the linear layer's initializer. */
  seed: number;
  /** The model's name. Default `"classifier"`. */
  name?: string;
}

/**
 * Builds SimCLRv2's fine-tuning network (Chen et al. 2020, "Big Self-Supervised Models are
 * Strong Semi-Supervised Learners", arXiv:2006.10029, section 2): encoder -> the head's first
 * `k` layers (`headUpTo(head, k)` of `@selfsup/heads`) -> a new linear layer
 * (`linearClassifier`: kernel N(0, 0.01^2), bias 0) giving logits `[N, numClasses]`. Without
 * `head` it is encoder -> linear layer: the shape of a distillation student.
 *
 * The model SHARES the encoder's and head's weights (the same variables, not copies):
 * training it trains them, starting from exactly the values they hold. The linear layer is
 * new and belongs to the returned model.
 *
 * Disposal: `model.dispose()` frees the linear layer only; the encoder and the head stay
 * usable and remain the caller's to dispose (TensorFlow.js counts a model's uses as a layer of
 * another: each is freed when its last holder lets go).
 *
 * @param options Encoder, head, k, class count, seed and name.
 * @returns A `tf.LayersModel` from images to logits; call it with `{ training: true }` to
 *   train (batch norm on batch statistics) and `predict` to evaluate.
 * @throws {TypeError} If `encoder` or `head` is not a single-input, single-output
 *   `tf.LayersModel`, or `k` is given without a head.
 * @throws {RangeError} If the head's input width is not the encoder's output width, `k` is
 *   not an integer in [0, the head's layers], `numClasses` is not an integer >= 2, or `seed`
 *   is not a safe integer.
 *
 * @example SimCLRv2: fine-tune from the first layer of a 3-layer head
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { classifierModel } from "@selfsup/distill";
 * import { smallConvNet } from "@selfsup/encoders";
 * import { projectionHead } from "@selfsup/heads";
 *
 * const encoder = smallConvNet({ inputShape: [8, 8, 1], filters: [4, 8], seed: 1 }); // h: 8
 * const head = projectionHead({ inputDim: 8, hiddenDim: 16, outputDim: 4, layers: 3, seed: 2 });
 * const model = classifierModel({ encoder, head, k: 1, numClasses: 10, seed: 3 });
 * assert.deepEqual(model.outputs[0].shape, [null, 10]);
 * // The head's first layer is shared, not copied.
 * const shared = new Set(head.getLayer("layer1_dense").weights);
 * assert.equal(model.weights.filter((w) => shared.has(w)).length, 1);
 * model.dispose(); // the linear layer
 * encoder.dispose();
 * head.dispose();
 * ```
 */
export function classifierModel(options: ClassifierModelOptions): tf.LayersModel {
  return buildClassifier("classifierModel", options).model;
}
