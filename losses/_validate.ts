// Argument checks shared by the losses. Shape checks cost nothing; the value check reads one
// small tensor back from the backend, so each loss lets its caller switch it off.
import * as tf from "@tensorflow/tfjs";

function describe(value: unknown): string {
  if (value instanceof tf.Tensor) return `a ${value.dtype} tensor of shape [${value.shape}]`;
  if (typeof value === "string") return JSON.stringify(value);
  return String(value);
}

/**
 * Throws unless `value` is a float32 tensor of rank 2 with at least `minRows` rows and
 * `minColumns` columns. `what` is the expected layout, e.g. "[N, D]".
 */
export function assertMatrix(
  fn: string,
  name: string,
  value: unknown,
  what: string,
  minRows: number,
  minColumns = 1,
): asserts value is tf.Tensor2D {
  if (!(value instanceof tf.Tensor)) {
    throw new TypeError(`${fn}: ${name} must be a tf.Tensor ${what}, got ${describe(value)}`);
  }
  if (value.dtype !== "float32") {
    throw new TypeError(`${fn}: ${name} must have dtype float32, got ${value.dtype}`);
  }
  if (value.rank !== 2) {
    throw new RangeError(
      `${fn}: ${name} must be a rank-2 tensor ${what}, got shape [${value.shape}]`,
    );
  }
  if (value.shape[0] < minRows) {
    throw new RangeError(
      `${fn}: ${name} must have at least ${minRows} row${minRows === 1 ? "" : "s"} ${what}, ` +
        `got shape [${value.shape}]`,
    );
  }
  if (value.shape[1] < minColumns) {
    throw new RangeError(
      `${fn}: ${name} must have at least ${minColumns} column${minColumns === 1 ? "" : "s"} ` +
        `${what}, got shape [${value.shape}]`,
    );
  }
}

/** Throws a RangeError unless the two tensors have the same shape. */
export function assertSameShape(
  fn: string,
  aName: string,
  a: tf.Tensor,
  bName: string,
  b: tf.Tensor,
): void {
  if (a.shape.length !== b.shape.length || a.shape.some((size, i) => size !== b.shape[i])) {
    throw new RangeError(
      `${fn}: ${aName} and ${bName} must have the same shape, got [${a.shape}] and [${b.shape}]`,
    );
  }
}

/** Throws unless `value` is a finite number > 0. */
export function assertTemperature(fn: string, value: unknown): asserts value is number {
  if (typeof value !== "number") {
    throw new TypeError(`${fn}: temperature must be a number > 0, got ${describe(value)}`);
  }
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(`${fn}: temperature must be a finite number > 0, got ${value}`);
  }
}

/** Throws a TypeError unless `value` is a plain options object or undefined. */
export function assertOptions(fn: string, value: unknown): void {
  if (value !== undefined && (typeof value !== "object" || value === null)) {
    throw new TypeError(`${fn}: options must be an object, got ${describe(value)}`);
  }
}

/** Throws a TypeError unless `value` is a boolean or undefined. */
export function assertOptionalBoolean(fn: string, name: string, value: unknown): void {
  if (value !== undefined && typeof value !== "boolean") {
    throw new TypeError(`${fn}: ${name} must be a boolean, got ${describe(value)}`);
  }
}

/**
 * Throws a RangeError naming the first argument that holds a NaN or an infinity. All the
 * tensors are checked with one read of a [k] vector of flags.
 */
export function assertFinite(fn: string, named: Record<string, tf.Tensor>): void {
  const names = Object.keys(named);
  const flags = tf.tidy(() =>
    tf.stack(names.map((name) => tf.all(tf.isFinite(named[name])))).dataSync()
  );
  names.forEach((name, i) => {
    if (!flags[i]) {
      throw new RangeError(`${fn}: ${name} must hold only finite values, got a NaN or infinity`);
    }
  });
}
