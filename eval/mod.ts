/**
 * Honest accuracy for self-supervised representations: features from a frozen encoder,
 * a weighted kNN classifier (cosine, k = 200, t = 0.1), the linear probe (logistic
 * regression on frozen features), accuracy and the confusion matrix.
 *
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { accuracy, knnClassifier, linearProbe } from "@selfsup/eval";
 *
 * const train = { features: tf.randomNormal([64, 8], 0, 1, "float32", 1) as tf.Tensor2D, labels: Array.from({ length: 64 }, (_, i) => i % 4) };
 * const test = { features: tf.randomNormal([16, 8], 0, 1, "float32", 2) as tf.Tensor2D, labels: Array.from({ length: 16 }, (_, i) => i % 4) };
 * const knn = await knnClassifier(train, test.features, { k: 10 });
 * const probe = await linearProbe(train, test, { epochs: 5 });
 * console.log(accuracy(knn, test.labels), probe.accuracy);
 * tf.dispose([train.features, test.features]);
 * ```
 *
 * @module
 */

export * from "./extract_features.ts";
export * from "./knn_classifier.ts";
export * from "./linear_probe.ts";
export * from "./metrics.ts";
