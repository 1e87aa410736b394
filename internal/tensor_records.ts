// Model and optimizer state as plain records (names, shapes, typed arrays): what the learners
// hand to a checkpoint and take back, identical in every runtime and free of tensors to dispose.
import * as tf from "@tensorflow/tfjs";
import { rangeError, typeError } from "./validate.ts";

/** One tensor's values as a plain, structured-cloneable record. */
export interface TensorRecord {
  /** The variable's or state's name (informational: restoring goes by position). */
  name: string;
  /** The tensor's shape. */
  shape: number[];
  /** float32 or int32. */
  dtype: "float32" | "int32";
  /** The values, row-major; a copy owned by the record. */
  values: Float32Array | Int32Array;
}

function toRecord(name: string, tensor: tf.Tensor): TensorRecord {
  if (tensor.dtype !== "float32" && tensor.dtype !== "int32") {
    throw new TypeError(
      `${name}: only float32 and int32 state can be recorded, got ${tensor.dtype}`,
    );
  }
  const data = tensor.dataSync();
  const values = tensor.dtype === "int32" ? Int32Array.from(data) : Float32Array.from(data);
  return { name, shape: tensor.shape.slice(), dtype: tensor.dtype, values };
}

function toTensor(record: TensorRecord): tf.Tensor {
  return tf.tensor(record.values, record.shape, record.dtype);
}

/**
 * Every weight of `model` (trainable and not: batch-norm moving statistics too), in the
 * model's order, as records.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { readModelWeights } from "@selfsup/internal";
 * import assert from "node:assert/strict";
 *
 * const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 3 })] });
 * assert.deepEqual(readModelWeights(model).map((r) => r.shape), [[2, 3], [3]]);
 * model.dispose();
 * ```
 */
export function readModelWeights(model: tf.LayersModel): TensorRecord[] {
  return model.weights.map((w) => toRecord(w.originalName, w.read()));
}

/**
 * Writes records made by {@linkcode readModelWeights} into `model`'s variables in place (no
 * new variables), after checking that count, shapes and dtypes match.
 *
 * @param fn The public function, for messages.
 * @param name The argument's name, for messages.
 * @throws {RangeError} When the records do not match the model; the model is then unchanged.
 */
export function writeModelWeights(
  fn: string,
  name: string,
  model: tf.LayersModel,
  records: readonly TensorRecord[],
): void {
  const weights = model.weights;
  if (!Array.isArray(records) || records.length !== weights.length) {
    throw rangeError(fn, name, `a list of ${weights.length} weight records`, records);
  }
  weights.forEach((w, i) =>
    checkRecord(fn, `${name}[${i}]`, records[i], w.shape as number[], w.dtype)
  );
  tf.tidy(() => weights.forEach((w, i) => w.write(toTensor(records[i]))));
}

function checkRecord(
  fn: string,
  name: string,
  record: TensorRecord,
  shape: readonly number[],
  dtype: tf.DataType,
): void {
  if (record === null || typeof record !== "object" || !ArrayBuffer.isView(record.values)) {
    throw typeError(fn, name, "a tensor record { name, shape, dtype, values }", record);
  }
  const size = shape.reduce((a, b) => a * b, 1);
  if (
    record.shape?.join() !== shape.join() || record.dtype !== dtype ||
    record.values.length !== size
  ) {
    throw rangeError(
      fn,
      name,
      `a ${dtype} record of shape [${shape}]`,
      `${record.dtype} [${record.shape}] with ${record.values.length} values`,
    );
  }
}

/**
 * An optimizer's state (`getWeights()`: the iteration count and its slots) as records. Works
 * for tfjs's optimizers and for any `tf.Optimizer` that implements `getWeights`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { readOptimizerState } from "@selfsup/internal";
 * import assert from "node:assert/strict";
 *
 * const optimizer = tf.train.momentum(0.1, 0.9);
 * const state = await readOptimizerState(optimizer);
 * assert.deepEqual(state.map((r) => r.name), ["iter"]);
 * optimizer.dispose();
 * ```
 */
export async function readOptimizerState(optimizer: tf.Optimizer): Promise<TensorRecord[]> {
  const named = await optimizer.getWeights();
  const records = named.map(({ name, tensor }) => toRecord(name, tensor));
  // tfjs's optimizers return their live slot variables and a fresh "iter" scalar; others
  // (LARS) return copies. Dispose what is not a live variable.
  for (const { tensor } of named) if (!(tensor instanceof tf.Variable)) tensor.dispose();
  return records;
}

/**
 * Restores state made by {@linkcode readOptimizerState}. The optimizer copies what it keeps.
 *
 * @throws {TypeError} When `records` is not a list of tensor records.
 */
export async function writeOptimizerState(
  fn: string,
  name: string,
  optimizer: tf.Optimizer,
  records: readonly TensorRecord[],
): Promise<void> {
  if (!Array.isArray(records)) throw typeError(fn, name, "a list of tensor records", records);
  records.forEach((r, i) => {
    if (r === null || typeof r !== "object" || !ArrayBuffer.isView(r.values)) {
      throw typeError(fn, `${name}[${i}]`, "a tensor record { name, shape, dtype, values }", r);
    }
  });
  const named = records.map((r) => ({ name: r.name, tensor: toTensor(r) }));
  try {
    await optimizer.setWeights(named);
  } finally {
    tf.dispose(named.map((n) => n.tensor));
  }
}
