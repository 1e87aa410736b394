import * as tf from "@tensorflow/tfjs";
import {
  checkFeatures,
  checkLabels,
  checkPositive,
  checkPositiveInteger,
  resolveNumClasses,
} from "./_validate.ts";

/** Feature vectors `[N, D]` with one integer class label per row. */
export interface LabelledFeatures {
  /** `[N, D]` float features, e.g. from {@linkcode extractFeatures}. */
  features: tf.Tensor2D;
  /** One class label per row. */
  labels: ArrayLike<number>;
}

/** Options of {@linkcode knnClassifier}. */
export interface KnnOptions {
  /** Neighbours that vote (default 200; fewer when the training set is smaller). */
  k?: number;
  /** Temperature of the vote weights `exp(similarity / temperature)` (default 0.1). */
  temperature?: number;
  /** Number of classes; default: largest training label + 1. */
  numClasses?: number;
  /**
   * Test rows per chunk; default: as many as keep one chunk's similarity matrix
   * (`chunkSize x N`) at 2^24 floats (64 MB), so 10,000 queries against 60,000 work on a
   * small machine.
   */
  chunkSize?: number;
}

/**
 * Weighted k-nearest-neighbour classification by cosine similarity, the monitor of
 * self-supervised training (Wu et al. 2018, "Unsupervised Feature Learning via
 * Non-Parametric Instance Discrimination", arXiv:1805.01978; used with k = 200, t = 0.1 by
 * lightly and, with other defaults, by solo-learn).
 *
 * Features are L2-normalised; each test row takes its `k` most similar training rows, each
 * votes for its class with weight `exp(similarity / temperature)`, and the class with the
 * largest total wins (ties go to the smaller class index). The test set is processed in
 * chunks so that memory stays bounded. No tensor is leaked; the inputs are not disposed.
 *
 * @param train Training features and labels (the "memory bank").
 * @param testFeatures `[M, D]` features to classify.
 * @param options `k`, `temperature`, `numClasses`, `chunkSize`.
 * @returns The predicted class of each test row.
 * @throws {TypeError} If the features are not rank-2 tensors.
 * @throws {RangeError} If the feature sizes differ, the label count does not match, a label is
 *   out of range, the training set is empty, or an option is not positive.
 *
 * @example Two clusters
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { knnClassifier } from "@selfsup/eval";
 * import assert from "node:assert/strict";
 *
 * const features = tf.tensor2d([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]]);
 * const test = tf.tensor2d([[1, 0.2], [0.2, 1]]);
 * const predictions = await knnClassifier({ features, labels: [0, 0, 1, 1] }, test, { k: 2 });
 * assert.deepEqual([...predictions], [0, 1]);
 * tf.dispose([features, test]);
 * ```
 */
export async function knnClassifier(
  train: LabelledFeatures,
  testFeatures: tf.Tensor2D,
  options: KnnOptions = {},
): Promise<Int32Array> {
  const [n, d] = checkFeatures(train.features, "train.features");
  const [m, testD] = checkFeatures(testFeatures, "testFeatures");
  if (testD !== d) {
    throw new RangeError(`testFeatures must have ${d} columns like train.features, got ${testD}`);
  }
  if (n === 0) throw new RangeError("train.features must have at least one row, got 0");
  const { k = 200, temperature = 0.1 } = options;
  checkPositiveInteger(k, "k");
  checkPositive(temperature, "temperature");
  const labels = checkLabels(train.labels, n, "train.labels", options.numClasses);
  const numClasses = resolveNumClasses(labels, options.numClasses);
  const chunkSize = options.chunkSize ?? Math.max(1, Math.floor(2 ** 24 / n));
  checkPositiveInteger(chunkSize, "chunkSize");
  const kUsed = Math.min(k, n);

  const predictions = new Int32Array(m);
  const bank = tf.tidy(() => normalize(train.features)); // [N, D]
  const bankLabels = tf.tensor1d(labels, "int32"); // [N]
  try {
    for (let start = 0; start < m; start += chunkSize) {
      const size = Math.min(chunkSize, m - start);
      const predicted = tf.tidy(() => {
        const queries = normalize(testFeatures.slice([start, 0], [size, d])); // [c, D]
        const similarity = tf.matMul(queries, bank, false, true); // [c, N]
        const { values, indices } = tf.topk(similarity, kUsed); // [c, k]
        const weights = tf.exp(tf.div(values, temperature)); // [c, k]
        // tf.oneHot needs a depth of at least 2; a second, empty class changes no vote.
        const depth = Math.max(numClasses, 2);
        const votes = tf.oneHot(tf.gather(bankLabels, indices), depth); // [c, k, C]
        const scores = tf.sum(tf.mul(votes, weights.expandDims(2)), 1); // [c, C]
        return tf.argMax(scores, 1); // [c]
      });
      predictions.set(await predicted.data(), start);
      predicted.dispose();
    }
  } finally {
    tf.dispose([bank, bankLabels]);
  }
  return predictions;
}

// Rows scaled to unit length; all-zero rows stay zero (similarity 0 to everything).
function normalize(x: tf.Tensor2D): tf.Tensor2D {
  const norm = tf.norm(x, "euclidean", 1, true);
  return tf.div(x, tf.maximum(norm, 1e-12));
}
