/**
 * Honest accuracy for self-supervised representations: features from a frozen encoder,
 * a weighted kNN classifier (cosine, k = 200, t = 0.1), the linear probe (logistic
 * regression on frozen features), accuracy and the confusion matrix.
 *
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { accuracy, knnClassifier, linearProbe } from "@selfsup/eval";
 * import assert from "node:assert/strict";
 *
 * // Four classes, each a cluster around its own direction (the labels may be the
 * // Int32Array that @selfsup/data yields).
 * const centres = tf.randomNormal([4, 8], 0, 3, "float32", 1);
 * const labelled = (n: number, seed: number) => {
 *   const labels = Int32Array.from({ length: n }, (_, i) => i % 4);
 *   const noise = tf.randomNormal([n, 8], 0, 1, "float32", seed);
 *   const features = tf.tidy(() => tf.gather(centres, labels).add(noise)) as tf.Tensor2D;
 *   noise.dispose();
 *   return { features, labels };
 * };
 * const train = labelled(64, 2), test = labelled(16, 3);
 * const knn = await knnClassifier(train, test.features, { k: 10 });
 * const probe = await linearProbe(train, test, { epochs: 5 });
 * assert.ok(accuracy(knn, test.labels) > 0.9);
 * assert.ok(probe.accuracy > 0.9);
 * tf.dispose([centres, train.features, test.features]);
 * ```
 *
 * @module
 */

export * from "./extract_features.ts";
export * from "./knn_classifier.ts";
export * from "./linear_probe.ts";
export * from "./metrics.ts";
