// Checks of a saved learner state against the learner it is restored into, all before anything
// is written, so a state that does not fit changes nothing.
import type * as tf from "@tensorflow/tfjs";
import {
  checkInteger,
  checkOptions,
  describe,
  rangeError,
  type TensorRecord,
  typeError,
} from "@selfsup/internal";

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
    } with matching values`;
    throw rangeError(fn, name, want, `${r.dtype} [${r.shape}] with ${r.values.length} values`);
  }
}

/** Checks the records of one model: one per weight, in the model's order. */
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
 * Checks optimizer records: the iteration count first, then slots by variable position (as
 * LARS and every tfjs optimizer keep them: one block of one slot per variable for each kind of
 * slot), so state from another model or a different variable list is refused.
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
  const slots = records.length - 1;
  if (slots % variables.length !== 0) {
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

/** Checks the top level of a state: an object with `method` and a step counter. */
export function checkStateHeader(fn: string, state: unknown, method: string): number {
  checkOptions(fn, state, "state");
  const s = state as { method?: unknown; step?: unknown; models?: unknown };
  if (s.method !== method) {
    throw rangeError(fn, "state.method", describe(method), s.method);
  }
  checkOptions(fn, s.models, "state.models");
  return checkInteger(fn, "state.step", s.step, { min: 0 });
}
