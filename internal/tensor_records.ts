// Model and optimizer state as plain records (names, shapes, typed arrays): what the learners
// hand to a checkpoint and take back, identical in every runtime and free of tensors to dispose.
import * as tf from "@tensorflow/tfjs";
import { checkInteger, checkOptions, describe, rangeError, typeError } from "./validate.ts";

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
  checkModelRecords(fn, name, model, records);
  tf.tidy(() => model.weights.forEach((w, i) => w.write(toTensor(records[i]))));
}

// The house message with a ready-made description of the value (describe() would quote it).
function mismatch(fn: string, name: string, what: string, got: string): RangeError {
  return new RangeError(`${fn}(): ${name} must be ${what}, got ${got}`);
}

function checkRecord(
  fn: string,
  name: string,
  record: unknown,
  shape: readonly number[] | null,
  dtype: string | null,
): void {
  const r = record as TensorRecord;
  if (
    r === null || typeof r !== "object" || typeof r.name !== "string" ||
    !Array.isArray(r.shape) || !(r.values instanceof Float32Array || r.values instanceof Int32Array)
  ) {
    throw typeError(fn, name, "a tensor record { name, shape, dtype, values }", record);
  }
  const size = r.shape.reduce((a, b) => a * b, 1);
  const consistent = r.shape.every((d) => Number.isSafeInteger(d) && d >= 0) &&
    r.values.length === size &&
    (r.dtype === "float32" ? r.values instanceof Float32Array : r.values instanceof Int32Array);
  const fits = (shape === null || r.shape.join() === shape.join()) &&
    (dtype === null || r.dtype === dtype);
  if (!consistent || !fits) {
    const want = `a ${dtype ?? "float32 or int32"} record of shape ${
      shape === null ? "[...]" : `[${shape}]`
    }`;
    throw mismatch(fn, name, want, `${r.dtype} [${r.shape}] with ${r.values.length} values`);
  }
}

/**
 * Checks the records of one model without writing them: one per weight, in the model's order,
 * each of the weight's shape and dtype. A learner restoring several models checks them all
 * first, so a state that does not fit changes nothing.
 *
 * @throws {TypeError} When `records` is not a list of tensor records.
 * @throws {RangeError} When the count, a shape or a dtype does not match.
 */
export function checkModelRecords(
  fn: string,
  name: string,
  model: tf.LayersModel,
  records: unknown,
): void {
  const weights = model.weights;
  if (!Array.isArray(records)) throw typeError(fn, name, "a list of tensor records", records);
  if (records.length !== weights.length) {
    throw rangeError(fn, name, `a list of ${weights.length} weight records`, records);
  }
  weights.forEach((w, i) =>
    checkRecord(fn, `${name}[${i}]`, records[i], w.shape as number[], w.dtype)
  );
}

/**
 * Checks optimizer records without writing them: the iteration count first, then slots by
 * variable position (as LARS and every tfjs optimizer keep them: one block of one slot per
 * variable for each kind of slot), so state from another model or a different variable list
 * is refused.
 */
export function checkOptimizerRecords(
  fn: string,
  name: string,
  variables: readonly tf.Variable[],
  records: unknown,
): void {
  if (!Array.isArray(records) || records.length === 0) {
    throw typeError(fn, name, "a list of tensor records starting with iter", records);
  }
  checkRecord(fn, `${name}[0]`, records[0], [], null);
  if ((records[0] as TensorRecord).name !== "iter") {
    throw rangeError(fn, `${name}[0].name`, '"iter"', (records[0] as TensorRecord).name);
  }
  if ((records.length - 1) % variables.length !== 0) {
    throw rangeError(
      fn,
      name,
      `iter and k slots for each of the ${variables.length} trainable variables`,
      `${records.length} records`,
    );
  }
  for (let i = 1; i < records.length; i++) {
    const variable = variables[(i - 1) % variables.length];
    checkRecord(fn, `${name}[${i}]`, records[i], variable.shape, "float32");
  }
}

/** Checks the top level of a learner's state: `method`, `models` and a step counter. */
export function checkStateHeader(fn: string, state: unknown, method: string): number {
  checkOptions(fn, state, "state");
  const s = state as { method?: unknown; step?: unknown; models?: unknown };
  if (s.method !== method) throw rangeError(fn, "state.method", describe(method), s.method);
  checkOptions(fn, s.models, "state.models");
  return checkInteger(fn, "state.step", s.step, { min: 0 });
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
