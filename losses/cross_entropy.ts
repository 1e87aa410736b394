import * as tf from "@tensorflow/tfjs";
import { checkInteger, checkTensor, rangeError, typeError } from "@selfsup/internal";
import { checkMatrix, checkValueOption, finiteError } from "./_validate.ts";
import type { ValueCheckOptions } from "./value_check_options.ts";

/**
 * Softmax cross-entropy with integer class labels, averaged over the batch:
 * mean_i -log softmax(logits_i)[labels_i].
 *
 * The loss for fine-tuning and linear evaluation on labelled data (SimCLR, Chen et al., 2020,
 * arXiv:2002.05709; SimCLRv2, arXiv:2006.10029). The log-softmax subtracts the row maximum, so
 * large logits do not overflow.
 *
 * Labels given in JavaScript (an array, or the `Int32Array` that `@selfsup/data` yields as
 * `batch.labels`) are checked at no cost. Unless `checkValues` is false, one read of a
 * three-element vector checks that the logits are finite and, for labels given as a tensor,
 * that they lie in [0, K). That read is a GPU round-trip: training steps pass
 * `{ checkValues: false }` (see {@linkcode ValueCheckOptions}). With the check off, a tensor
 * label outside [0, K) silently contributes a zero loss for its row.
 *
 * @param logits Unnormalised class scores, float32 [N, K] with N >= 1 and K >= 2 classes.
 * @param labels The class of each row, N integers in [0, K): an int32 tensor [N], an
 * `Int32Array` or an array of numbers.
 * @param options Whether to check values (default true).
 * @returns A float32 scalar that the caller disposes. Gradients flow into `logits`.
 * @throws {TypeError} If `logits` is not a float32 rank-2 tensor, `labels` is none of the
 * three label forms (or a tensor of another dtype or rank), a label is not a number, or an
 * option has the wrong type.
 * @throws {RangeError} If `logits` has no rows or fewer than 2 columns, `labels` does not hold
 * N entries, a label is not an integer in [0, K), or (when checked) a logit is NaN or
 * infinite.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { crossEntropy } from "@selfsup/losses";
 *
 * const logits = tf.tensor2d([[2, 0, 0], [0, 0, 0]]);
 * const loss = crossEntropy(logits, [0, 2]);
 * const expected = (-Math.log(Math.exp(2) / (Math.exp(2) + 2)) + Math.log(3)) / 2;
 * assert.ok(Math.abs(loss.dataSync()[0] - expected) < 1e-6);
 * tf.dispose([logits, loss]);
 * ```
 *
 * @example The labels of a `@selfsup/data` batch, in a training step
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { crossEntropy } from "@selfsup/losses";
 *
 * const labels = new Int32Array([1, 0]); // as `batch.labels`
 * const logits = tf.tensor2d([[0, 0], [0, 0]]);
 * const loss = crossEntropy(logits, labels, { checkValues: false });
 * assert.ok(Math.abs(loss.dataSync()[0] - Math.log(2)) < 1e-6);
 * tf.dispose([logits, loss]);
 * ```
 */
export function crossEntropy(
  logits: tf.Tensor,
  labels: tf.Tensor | Int32Array | readonly number[],
  options: ValueCheckOptions = {},
): tf.Scalar {
  const fn = "crossEntropy";
  checkMatrix(fn, "logits", logits, "[N, K]", 1, 2);
  const [n, k] = logits.shape;
  checkLabels(fn, labels, n, k);
  if (checkValueOption(fn, options)) checkValues(fn, logits, labels, k);

  return tf.tidy(() => {
    const classes = labels instanceof tf.Tensor
      ? labels as tf.Tensor1D
      : tf.tensor1d(labels instanceof Int32Array ? labels : Array.from(labels), "int32"); // [N]
    const target = tf.oneHot(classes, k); // [N, K]
    const perExample = tf.neg(tf.sum(tf.mul(target, tf.logSoftmax(logits)), 1)); // [N]
    return tf.mean(perExample) as tf.Scalar;
  });
}

const LABELS = "an int32 tensor [N], an Int32Array or an array of integers";

// Shapes and dtypes always (free); the entries too when they live in JavaScript (free too).
function checkLabels(fn: string, labels: unknown, n: number, k: number): void {
  if (labels instanceof tf.Tensor) {
    checkTensor(fn, "labels", labels, { rank: 1, dtype: "int32", layout: "[N]" });
    if (labels.shape[0] !== n) {
      throw rangeError(
        fn,
        "labels",
        `an int32 tensor of shape [${n}], one per row of logits`,
        labels,
      );
    }
    return;
  }
  if (!(labels instanceof Int32Array) && !Array.isArray(labels)) {
    throw typeError(fn, "labels", LABELS, labels);
  }
  if (labels.length !== n) {
    throw new RangeError(
      `${fn}(): labels must hold ${n} entries, one per row of logits, got ${labels.length}`,
    );
  }
  for (let i = 0; i < n; i++) checkInteger(fn, `labels[${i}]`, labels[i], { min: 0, max: k - 1 });
}

// One read: [all logits finite, smallest label, largest label].
function checkValues(
  fn: string,
  logits: tf.Tensor,
  labels: tf.Tensor | Int32Array | readonly number[],
  k: number,
): void {
  const [finite, low, high] = tf.tidy(() => {
    const flags = [tf.cast(tf.all(tf.isFinite(logits)), "int32")];
    if (labels instanceof tf.Tensor) flags.push(tf.min(labels), tf.max(labels));
    return tf.stack(flags).dataSync();
  });
  if (!finite) throw finiteError(fn, "logits", logits);
  if (labels instanceof tf.Tensor && (low < 0 || high >= k)) {
    throw rangeError(fn, "labels", `integers in [0, ${k - 1}]`, low < 0 ? low : high);
  }
}
