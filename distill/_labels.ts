// Class labels as the learners take them: an Int32Array (what @selfsup/data yields), an array
// of integers or an int32 tensor [N], checked against the batch size and the class count.
import * as tf from "@tensorflow/tfjs";
import { rangeError, typeError } from "@selfsup/internal";
import { rangeErrorAs } from "./_errors.ts";

/** One integer class label per image. */
export type Labels = Int32Array | readonly number[] | tf.Tensor1D;

/**
 * Checks labels: N of them, integers in [0, numClasses). Arrays are checked in JavaScript; a
 * tensor's values are read back (one read of two numbers) only when `checkValues` is true.
 */
export function checkLabels(
  fn: string,
  name: string,
  labels: unknown,
  n: number,
  numClasses: number,
  checkValues: boolean,
): Labels {
  const what = `${n} integer labels in [0, ${numClasses}), one per image`;
  if (labels instanceof tf.Tensor) {
    if (labels.isDisposed) {
      throw typeError(fn, name, "a tensor that is not disposed", labels);
    }
    if (labels.dtype !== "int32" || labels.rank !== 1) {
      throw typeError(
        fn,
        name,
        `an Int32Array, an array or an int32 tensor [N]`,
        labels,
      );
    }
    if (labels.shape[0] !== n) {
      throw rangeErrorAs(fn, name, what, `${labels.shape[0]} labels`);
    }
    if (checkValues) {
      const [low, high] = tf.tidy(() => tf.stack([tf.min(labels), tf.max(labels)]).dataSync());
      if (low < 0 || high >= numClasses) {
        throw rangeErrorAs(fn, name, what, `labels in [${low}, ${high}]`);
      }
    }
    return labels as tf.Tensor1D;
  }
  if (!(labels instanceof Int32Array) && !Array.isArray(labels)) {
    throw typeError(
      fn,
      name,
      "an Int32Array, an array or an int32 tensor [N]",
      labels,
    );
  }
  const list = labels as ArrayLike<unknown>;
  if (list.length !== n) {
    throw rangeErrorAs(fn, name, what, `${list.length} labels`);
  }
  for (let i = 0; i < list.length; i++) {
    const label = list[i];
    if (typeof label !== "number") {
      throw typeError(fn, `${name}[${i}]`, "an integer", label);
    }
    if (!Number.isInteger(label) || label < 0 || label >= numClasses) {
      throw rangeError(
        fn,
        `${name}[${i}]`,
        `an integer in [0, ${numClasses})`,
        label,
      );
    }
  }
  return labels as Int32Array | number[];
}

/** Labels as an int32 tensor [N]; a tensor given by the user is returned as it is. */
export function labelTensor(labels: Labels): tf.Tensor1D {
  return labels instanceof tf.Tensor ? labels : tf.tensor1d(Int32Array.from(labels), "int32");
}
