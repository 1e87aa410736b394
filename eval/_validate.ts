import type * as tf from "@tensorflow/tfjs";

/** Checks that `x` is a rank-2 float tensor and returns its shape. */
export function checkFeatures(x: tf.Tensor, name: string): [number, number] {
  if (x === null || typeof x !== "object" || !("rank" in x) || x.rank !== 2) {
    const got = x && typeof x === "object" && "shape" in x ? `[${x.shape}]` : String(x);
    throw new TypeError(`${name} must be a rank-2 tensor [N, D], got ${got}`);
  }
  return [x.shape[0], x.shape[1]!];
}

/** Copies labels into an Int32Array, checking count and range. */
export function checkLabels(
  labels: ArrayLike<number>,
  n: number,
  name: string,
  numClasses?: number,
): Int32Array {
  if (labels === null || typeof labels !== "object" || typeof labels.length !== "number") {
    throw new TypeError(`${name} must be an array of integer labels, got ${String(labels)}`);
  }
  if (labels.length !== n) {
    throw new RangeError(`${name}.length must equal the number of rows ${n}, got ${labels.length}`);
  }
  const limit = numClasses ?? 2 ** 31 - 1;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = labels[i];
    if (!Number.isInteger(label) || label < 0 || label >= limit) {
      throw new RangeError(`${name}[${i}] must be an integer in [0, ${limit}), got ${label}`);
    }
    out[i] = label;
  }
  return out;
}

/** Number of classes: the given one (checked) or the largest label + 1. */
export function resolveNumClasses(labels: Int32Array, numClasses?: number): number {
  if (numClasses !== undefined) {
    if (!Number.isInteger(numClasses) || numClasses < 1) {
      throw new RangeError(`numClasses must be a positive integer, got ${numClasses}`);
    }
    return numClasses;
  }
  let max = 0;
  for (const label of labels) max = Math.max(max, label);
  return max + 1;
}

/** Checks a positive integer option. */
export function checkPositiveInteger(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
}

/** Checks a positive finite number option. */
export function checkPositive(value: number, name: string): void {
  if (!(value > 0 && Number.isFinite(value))) {
    throw new RangeError(`${name} must be a finite number > 0, got ${value}`);
  }
}
