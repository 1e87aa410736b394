import { rangeError } from "@selfsup/internal";
import { checkLabels, checkNumClasses } from "./_validate.ts";

/**
 * The most classes {@linkcode confusionMatrix} builds a matrix for (4,194,304 counts): a
 * label far beyond the data's size must not allocate a matrix out of proportion to it.
 */
export const MAX_CONFUSION_CLASSES = 2048;

/**
 * The share of predictions equal to the true labels.
 *
 * @param predictions Predicted class per example.
 * @param labels True class per example, same length.
 * @returns Accuracy in [0, 1] (NaN for zero examples).
 * @throws {TypeError} If an argument is not an array or typed array.
 * @throws {RangeError} If the lengths differ or a value is not a non-negative integer.
 *
 * @example
 * ```ts
 * import { accuracy } from "@selfsup/eval";
 * import assert from "node:assert/strict";
 *
 * assert.equal(accuracy([0, 1, 1, 2], [0, 1, 2, 2]), 0.75);
 * ```
 */
export function accuracy(predictions: ArrayLike<number>, labels: ArrayLike<number>): number {
  const fn = "accuracy";
  const truth = checkLabels(fn, "labels", labels, undefined);
  const predicted = checkLabels(fn, "predictions", predictions, truth.length);
  let correct = 0;
  for (let i = 0; i < truth.length; i++) if (predicted[i] === truth[i]) correct++;
  return correct / truth.length;
}

/**
 * Per-class confusion matrix: `matrix[t][p]` counts examples of true class `t` predicted as
 * `p`. Row sums are the class sizes; the diagonal over a row sum is that class's recall.
 *
 * @param predictions Predicted class per example.
 * @param labels True class per example, same length.
 * @param numClasses Number of classes; default: largest label or prediction + 1. At most
 * {@linkcode MAX_CONFUSION_CLASSES}.
 * @returns A `numClasses x numClasses` matrix of counts.
 * @throws {TypeError} If an argument has the wrong type.
 * @throws {RangeError} If the lengths differ, a value is out of range or there are more than
 * {@linkcode MAX_CONFUSION_CLASSES} classes.
 *
 * @example
 * ```ts
 * import { confusionMatrix } from "@selfsup/eval";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(confusionMatrix([0, 1, 1], [0, 0, 1], 2), [[1, 1], [0, 1]]);
 * ```
 */
export function confusionMatrix(
  predictions: ArrayLike<number>,
  labels: ArrayLike<number>,
  numClasses?: number,
): number[][] {
  const fn = "confusionMatrix";
  const given = checkNumClasses(fn, numClasses);
  const truth = checkLabels(fn, "labels", labels, undefined, given);
  const predicted = checkLabels(fn, "predictions", predictions, truth.length, given);
  const largest = (values: Int32Array) => values.reduce((a, b) => Math.max(a, b), 0);
  const classes = given ?? Math.max(largest(truth), largest(predicted)) + 1;
  if (classes > MAX_CONFUSION_CLASSES) {
    throw rangeError(
      fn,
      given === undefined ? "labels and predictions" : "numClasses",
      given === undefined
        ? `of at most ${MAX_CONFUSION_CLASSES} classes (one count per pair of classes), as many ` +
          "as the largest value + 1"
        : `at most ${MAX_CONFUSION_CLASSES} (one count per pair of classes)`,
      classes,
    );
  }
  const matrix = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < truth.length; i++) matrix[truth[i]][predicted[i]]++;
  return matrix;
}
