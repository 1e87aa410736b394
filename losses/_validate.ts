// The checks the losses share, built on @selfsup/internal's house format. Shape checks cost
// nothing; the value check reads one small tensor back from the backend, so every loss lets its
// caller switch it off with `checkValues: false`.
import * as tf from "@tensorflow/tfjs";
import {
  checkBoolean,
  checkNumber,
  checkOptions,
  checkTensor,
  message,
  rangeError,
} from "@selfsup/internal";

/**
 * Checks that `value` is a float32 rank-2 tensor (TypeError otherwise) with at least `minRows`
 * rows and `minColumns` columns (RangeError otherwise). `layout` names the axes, e.g. "[N, D]".
 */
export function checkMatrix(
  fn: string,
  name: string,
  value: unknown,
  layout: string,
  minRows: number,
  minColumns = 1,
): asserts value is tf.Tensor2D {
  checkTensor(fn, name, value, { rank: 2, dtype: "float32", layout });
  const [rows, columns] = (value as tf.Tensor2D).shape;
  if (rows < minRows || columns < minColumns) {
    const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? "" : "s"}`;
    throw rangeError(
      fn,
      name,
      `a tensor ${layout} with at least ${plural(minRows, "row")} and ` +
        plural(minColumns, "column"),
      value,
    );
  }
}

/** Checks that `b` has the shape of `a` (RangeError otherwise). */
export function checkSameShape(
  fn: string,
  aName: string,
  a: tf.Tensor,
  bName: string,
  b: tf.Tensor,
): void {
  if (a.rank !== b.rank || a.shape.some((size, i) => size !== b.shape[i])) {
    throw rangeError(fn, bName, `a tensor of the shape of ${aName} [${a.shape}]`, b);
  }
}

/** Checks a temperature, a finite number > 0, and returns it (`fallback` when undefined). */
export function checkTemperature(fn: string, value: unknown, fallback: number): number {
  return value === undefined ? fallback : checkNumber(fn, "temperature", value, { above: 0 });
}

/**
 * Checks the options object (undefined counts as `{}`) and returns its `checkValues` (default
 * true), so each loss reads the option the same way.
 */
export function checkValueOption(
  fn: string,
  options: { checkValues?: unknown } | undefined,
): boolean {
  if (options === undefined) return true;
  checkOptions(fn, options);
  return options.checkValues === undefined
    ? true
    : checkBoolean(fn, "checkValues", options.checkValues);
}

/**
 * Throws a RangeError naming the first argument that holds a NaN or an infinity. All the
 * tensors are checked with one read of a [k] vector of flags: one GPU round-trip.
 */
export function checkFinite(fn: string, named: Record<string, tf.Tensor>): void {
  const names = Object.keys(named);
  const flags = tf.tidy(() =>
    tf.stack(names.map((name) => tf.all(tf.isFinite(named[name])))).dataSync()
  );
  names.forEach((name, i) => {
    if (!flags[i]) throw finiteError(fn, name, named[name]);
  });
}

/** The house error for a tensor that holds a NaN or an infinity. */
export function finiteError(fn: string, name: string, value: tf.Tensor): RangeError {
  return new RangeError(
    `${message(fn, name, "a tensor of finite values", value)} holding a NaN or infinity`,
  );
}
