// Argument checks of the eval functions, in the house message format of `@selfsup/internal`:
// `fn(): argument must be ..., got ...`, naming the public function and the user's argument.
import * as tf from "@tensorflow/tfjs";
import { checkBoolean, checkInteger, checkTensor, describe, typeError } from "@selfsup/internal";

/**
 * Checks that `x` is a float32 `[N, D]` tensor and returns its shape. Wrong rank or dtype is a
 * TypeError (tfjs's own message for int32 features named neither the function nor the
 * argument).
 */
export function checkFeatures(fn: string, name: string, x: unknown): [number, number] {
  const tensor = checkTensor(fn, name, x, { rank: 2, dtype: "float32", layout: "[N, D]" });
  return [tensor.shape[0], tensor.shape[1]!];
}

/**
 * Copies labels into an Int32Array, checking the count (`n`, any when undefined) and the
 * range `[0, numClasses)` (any int32 when `numClasses` is undefined). Arrays and typed arrays (the Int32Array that
 * `@selfsup/data` yields) are accepted alike.
 */
export function checkLabels(
  fn: string,
  name: string,
  labels: unknown,
  n: number | undefined,
  numClasses?: number,
): Int32Array {
  const arrayLike = Array.isArray(labels) ||
    (ArrayBuffer.isView(labels) && !(labels instanceof DataView));
  if (!arrayLike) throw typeError(fn, name, "an array of integer labels", labels);
  const values = labels as ArrayLike<number>;
  n ??= values.length;
  if (values.length !== n) {
    throw new RangeError(
      `${fn}(): ${name}.length must equal the number of rows ${n}, got ${values.length}`,
    );
  }
  const limit = numClasses ?? 2 ** 31 - 1;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = values[i];
    if (!Number.isInteger(label) || label < 0 || label >= limit) {
      throw new RangeError(
        `${fn}(): ${name}[${i}] must be an integer in [0, ${limit}), got ${describe(label)}`,
      );
    }
    out[i] = label;
  }
  return out;
}

/** Checks an optional `numClasses` option (an integer >= 1). */
export function checkNumClasses(fn: string, value: unknown): number | undefined {
  return value === undefined ? undefined : checkInteger(fn, "numClasses", value, { min: 1 });
}

/** Reads `options.checkValues` (default true). */
export function wantsValueCheck(fn: string, value: unknown): boolean {
  return checkBoolean(fn, "checkValues", value ?? true);
}

/**
 * Checks that every value of `x` is finite: one read-back of a boolean (a GPU round-trip),
 * and of the offending row only when there is one.
 *
 * @throws {RangeError} `fn(): name must be a tensor of finite values, got ... holding NaN in
 *   row r`.
 */
export async function checkFinite(fn: string, name: string, x: tf.Tensor2D): Promise<void> {
  const allFinite = tf.tidy(() => tf.all(tf.isFinite(x)));
  const ok = (await allFinite.data())[0] === 1;
  allFinite.dispose();
  if (ok) return;
  const badRow = tf.tidy(() => tf.argMin(tf.all(tf.isFinite(x), 1).toInt(), 0));
  const row = (await badRow.data())[0];
  badRow.dispose();
  const values = tf.tidy(() => x.slice([row, 0], [1, -1]));
  const bad = [...await values.data()].find((v) => !Number.isFinite(v));
  values.dispose();
  throw new RangeError(
    `${fn}(): ${name} must be a tensor of finite values, got ${describe(x)} holding ${bad} ` +
      `in row ${row}`,
  );
}

/**
 * Labels renumbered 0..U-1 in the order of their values, so the work of a classifier depends
 * on the number of distinct labels (at most the number of rows), never on how large a label
 * is.
 */
export interface CompactLabels {
  /** The compact id of each row's label. */
  readonly ids: Int32Array;
  /** The label of each compact id, ascending: `classes[ids[i]] === labels[i]`. */
  readonly classes: Int32Array;
}

/** Renumbers labels compactly (see {@linkcode CompactLabels}). */
export function compactLabels(labels: Int32Array): CompactLabels {
  const classes = Int32Array.from(new Set(labels)).sort();
  const idOf = new Map<number, number>();
  classes.forEach((label, id) => idOf.set(label, id));
  return { ids: Int32Array.from(labels, (label) => idOf.get(label)!), classes };
}

/**
 * Rows scaled to unit length; all-zero rows stay zero. Each row is divided by its largest
 * absolute value first, so rows whose squared norm would overflow float32 (a norm above about
 * 1.8e19) still normalise correctly.
 */
export function unitRows(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const scale = tf.maximum(tf.max(tf.abs(x), 1, true), 1e-30); // [N, 1]
    const scaled = tf.div(x, scale);
    return tf.div(scaled, tf.maximum(tf.norm(scaled, "euclidean", 1, true), 1e-12));
  });
}
