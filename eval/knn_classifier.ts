import * as tf from "@tensorflow/tfjs";
import { checkInteger, checkNumber, checkOptions } from "@selfsup/internal";
import { topK } from "./_top_k.ts";
import {
  checkFeatures,
  checkFinite,
  checkLabels,
  checkNumClasses,
  compactLabels,
  unitRows,
  wantsValueCheck,
} from "./_validate.ts";

/** Feature vectors `[N, D]` with one integer class label per row. */
export interface LabelledFeatures {
  /** `[N, D]` float32 features, e.g. from {@linkcode extractFeatures}. */
  features: tf.Tensor2D;
  /** One class label per row: an array or a typed array (the `Int32Array` of `@selfsup/data`). */
  labels: ArrayLike<number>;
}

/** Options of {@linkcode knnClassifier}. */
export interface KnnOptions {
  /** Neighbours that vote (default 200; fewer when the training set is smaller). */
  k?: number;
  /** Temperature of the vote weights `exp(similarity / temperature)` (default 0.1). */
  temperature?: number;
  /**
   * Number of classes: when given, every training label must be below it. The work does not
   * depend on it (nor on how large a label is), only on the bank and the queries.
   */
  numClasses?: number;
  /**
   * Test rows per chunk; default: as many as keep one chunk's similarity matrix
   * (`chunkSize x N`) at 2^24 floats (64 MB), so 10,000 queries against 60,000 work on a
   * small machine.
   */
  chunkSize?: number;
  /**
   * Read the features back once to reject NaN and infinities (default true). One GPU
   * round-trip per call, small beside the search itself; pass `false` to skip it.
   */
  checkValues?: boolean;
}

/**
 * Weighted k-nearest-neighbour classification by cosine similarity, the monitor of
 * self-supervised training (Wu et al. 2018, "Unsupervised Feature Learning via
 * Non-Parametric Instance Discrimination", arXiv:1805.01978; used with k = 200, t = 0.1 by
 * lightly and, with other defaults, by solo-learn).
 *
 * Features are L2-normalised; each test row takes its `k` most similar training rows, each
 * votes for its class with weight `exp(similarity / temperature)`, and the class with the
 * largest total wins (ties go to the smaller class index). The weights are computed as
 * `exp((similarity - best) / temperature)` in float64, which ranks the classes exactly as
 * the formula does without overflowing at low temperatures. The test set is processed in
 * chunks so that memory stays bounded by the bank and the chunk, whatever the label values.
 * No tensor is leaked; the inputs are not disposed.
 *
 * @param train Training features and labels (the "memory bank").
 * @param testFeatures `[M, D]` float32 features to classify.
 * @param options `k`, `temperature`, `numClasses`, `chunkSize`, `checkValues`.
 * @returns The predicted class of each test row.
 * @throws {TypeError} If the features are not float32 rank-2 tensors, the labels not an
 *   array, or an option has the wrong type.
 * @throws {RangeError} If the feature sizes differ, the label count does not match, a label is
 *   out of range, the training set is empty, an option is out of range, or (with
 *   `checkValues`) a feature is NaN or infinite.
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
  const fn = "knnClassifier";
  checkOptions(fn, train, "train");
  const [n, d] = checkFeatures(fn, "train.features", train.features);
  const [m, testD] = checkFeatures(fn, "testFeatures", testFeatures);
  if (testD !== d) {
    throw new RangeError(
      `${fn}(): testFeatures must have ${d} columns like train.features, got ${testD}`,
    );
  }
  if (n === 0) throw new RangeError(`${fn}(): train.features must have at least one row, got 0`);
  checkOptions(fn, options);
  const k = checkInteger(fn, "k", options.k ?? 200, { min: 1 });
  const temperature = checkNumber(fn, "temperature", options.temperature ?? 0.1, { above: 0 });
  const numClasses = checkNumClasses(fn, options.numClasses);
  const labels = checkLabels(fn, "train.labels", train.labels, n, numClasses);
  const chunkSize = checkInteger(
    fn,
    "chunkSize",
    options.chunkSize ?? Math.max(1, Math.floor(2 ** 24 / n)),
    { min: 1 },
  );
  if (wantsValueCheck(fn, options.checkValues)) {
    await checkFinite(fn, "train.features", train.features);
    await checkFinite(fn, "testFeatures", testFeatures);
  }
  const kUsed = Math.min(k, n);
  const { ids, classes } = compactLabels(labels);

  const predictions = new Int32Array(m);
  // Per row: the vote of each class, and which classes got one (both reset after the row).
  const scores = new Float64Array(classes.length);
  const voted = new Uint8Array(classes.length);
  const touched = new Int32Array(kUsed);
  const bank = unitRows(train.features); // [N, D]
  try {
    for (let start = 0; start < m; start += chunkSize) {
      const size = Math.min(chunkSize, m - start);
      const similarity = tf.tidy(() => {
        const queries = unitRows(testFeatures.slice([start, 0], [size, d])); // [c, D]
        return tf.matMul(queries, bank, false, true) as tf.Tensor2D; // [c, N]
      });
      const { values: similarities, indices: neighbours } = await nearest(similarity, kUsed);
      for (let row = 0; row < size; row++) {
        const base = row * kUsed;
        const best = similarities[base];
        let count = 0;
        for (let j = 0; j < kUsed; j++) {
          const id = ids[neighbours[base + j]];
          if (voted[id] === 0) {
            voted[id] = 1;
            touched[count++] = id;
          }
          // At most 1 for every neighbour and exactly 1 for the nearest: no overflow.
          scores[id] += Math.exp((similarities[base + j] - best) / temperature);
        }
        let winner = touched[0];
        for (let t = 1; t < count; t++) {
          const id = touched[t];
          if (scores[id] > scores[winner] || (scores[id] === scores[winner] && id < winner)) {
            winner = id;
          }
        }
        for (let t = 0; t < count; t++) scores[touched[t]] = voted[touched[t]] = 0;
        predictions[start + row] = classes[winner];
      }
    }
  } finally {
    bank.dispose();
  }
  return predictions;
}

// Backends whose tensors live in this process's memory: reading the similarities back is free,
// and a heap beats tfjs's topk there (which makes and sorts an object per entry).
const HOST_BACKENDS = new Set(["cpu", "blas", "wasm"]);

/** The k most similar bank rows of each query, most similar first (ties: smaller index). */
async function nearest(
  similarity: tf.Tensor2D,
  k: number,
): Promise<{ values: Float32Array; indices: Int32Array }> {
  try {
    if (HOST_BACKENDS.has(tf.getBackend())) {
      const [rows, columns] = similarity.shape;
      return topK(await similarity.data<"float32">(), rows, columns, k);
    }
    const top = tf.topk(similarity, k); // [c, k], most similar first
    try {
      return {
        values: await top.values.data<"float32">(),
        indices: await top.indices.data<"int32">(),
      };
    } finally {
      tf.dispose([top.values, top.indices]);
    }
  } finally {
    similarity.dispose();
  }
}
