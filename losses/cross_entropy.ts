import * as tf from "@tensorflow/tfjs";
import { assertMatrix, assertOptionalBoolean, assertOptions } from "./_validate.ts";
import type { ValueCheckOptions } from "./value_check_options.ts";

/**
 * Softmax cross-entropy with integer class labels, averaged over the batch:
 * mean_i -log softmax(logits_i)[labels_i].
 *
 * The loss for fine-tuning and linear evaluation on labelled data (SimCLR, Chen et al., 2020,
 * arXiv:2002.05709; SimCLRv2, arXiv:2006.10029). The log-softmax subtracts the row maximum, so
 * large logits do not overflow.
 *
 * Labels given as an array are checked in JavaScript at no cost. Unless `checkValues` is false,
 * one read of a three-element vector checks that the logits are finite and, for labels given
 * as a tensor, that they lie in [0, K) (see {@linkcode ValueCheckOptions}). With the check off,
 * a tensor label outside [0, K) silently contributes a zero loss for its row.
 *
 * @param logits Unnormalised class scores, float32 [N, K] with N >= 1 and K >= 2 classes.
 * @param labels The class of each row: an int32 tensor [N] or an array of N integers in [0, K).
 * @param options Whether to check values.
 * @returns A float32 scalar that the caller disposes. Gradients flow into `logits`.
 * @throws {TypeError} If `logits` is not a float32 tensor, `labels` is neither an int32 tensor
 * nor an array of integers, or an option has the wrong type.
 * @throws {RangeError} If `logits` is not [N, K] with N >= 1 and K >= 2, `labels` does not hold N
 * entries, a label is outside [0, K), or (when checked) a logit is NaN or infinite.
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
 */
export function crossEntropy(
  logits: tf.Tensor,
  labels: tf.Tensor | readonly number[],
  options: ValueCheckOptions = {},
): tf.Scalar {
  const fn = "crossEntropy";
  assertMatrix(fn, "logits", logits, "[N, K]", 1, 2);
  const [n, k] = logits.shape;
  assertLabels(fn, labels, n, k);
  assertOptions(fn, options);
  const { checkValues = true } = options;
  assertOptionalBoolean(fn, "checkValues", checkValues);
  if (checkValues) assertValues(fn, logits, labels, k);

  return tf.tidy(() => {
    const classes = labels instanceof tf.Tensor ? labels : tf.tensor1d(Array.from(labels), "int32"); // [N]
    const target = tf.oneHot(classes as tf.Tensor1D, k); // [N, K]
    const perExample = tf.neg(tf.sum(tf.mul(target, tf.logSoftmax(logits)), 1)); // [N]
    return tf.mean(perExample) as tf.Scalar;
  });
}

function assertLabels(fn: string, labels: unknown, n: number, k: number): void {
  if (labels instanceof tf.Tensor) {
    if (labels.dtype !== "int32") {
      throw new TypeError(`${fn}: labels must be an int32 tensor, got dtype ${labels.dtype}`);
    }
    if (labels.rank !== 1 || labels.shape[0] !== n) {
      throw new RangeError(
        `${fn}: labels must have shape [${n}] to match logits [${n}, ${k}], ` +
          `got [${labels.shape}]`,
      );
    }
    return;
  }
  if (!Array.isArray(labels)) {
    throw new TypeError(
      `${fn}: labels must be an int32 tensor or an array of integers, got ${String(labels)}`,
    );
  }
  if (labels.length !== n) {
    throw new RangeError(
      `${fn}: labels must hold ${n} entries to match logits [${n}, ${k}], got ${labels.length}`,
    );
  }
  labels.forEach((label: unknown, i) => {
    if (typeof label !== "number" || !Number.isInteger(label)) {
      throw new TypeError(`${fn}: labels[${i}] must be an integer, got ${String(label)}`);
    }
    if (label < 0 || label >= k) {
      throw new RangeError(`${fn}: labels[${i}] must be in [0, ${k}), got ${label}`);
    }
  });
}

// One read: [all logits finite, smallest label, largest label].
function assertValues(
  fn: string,
  logits: tf.Tensor,
  labels: tf.Tensor | readonly number[],
  k: number,
): void {
  const [finite, low, high] = tf.tidy(() => {
    const flags = [tf.cast(tf.all(tf.isFinite(logits)), "int32")];
    if (labels instanceof tf.Tensor) flags.push(tf.min(labels), tf.max(labels));
    return tf.stack(flags).dataSync();
  });
  if (!finite) {
    throw new RangeError(`${fn}: logits must hold only finite values, got a NaN or infinity`);
  }
  if (labels instanceof tf.Tensor && (low < 0 || high >= k)) {
    const bad = low < 0 ? low : high;
    throw new RangeError(`${fn}: labels must be in [0, ${k}), got ${bad}`);
  }
}
