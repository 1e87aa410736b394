// Checks of the learner's models, step inputs and saved state, in the house message format.
import * as tf from "@tensorflow/tfjs";
import type { Dataset } from "@selfsup/data";
import {
  checkInteger,
  checkOptions,
  checkTensor,
  describe,
  rangeError,
  type TensorRecord,
  typeError,
} from "@selfsup/internal";

// The house message with a ready-made description of the value (describe() would quote it).
function failure<E extends Error>(
  kind: new (message: string) => E,
  fn: string,
  name: string,
  what: string,
  got: string,
): E {
  return new kind(`${fn}(): ${name} must be ${what}, got ${got}`);
}

/** What the learner needs to know about its encoder. */
export interface EncoderShape {
  /** Input height, width and channels where the model fixes them, else null. */
  height: number | null;
  width: number | null;
  channels: number | null;
  /** Width D of the representation `[N, D]`. */
  dim: number;
}

/** Checks that `encoder` is a single-input, single-output model `[N, H, W, C] -> [N, D]`. */
export function checkEncoder(fn: string, encoder: unknown): EncoderShape {
  const what = "a tf.LayersModel from [N, H, W, C] images to [N, D]";
  if (!(encoder instanceof tf.LayersModel)) throw typeError(fn, "encoder", what, encoder);
  const input = encoder.inputs.length === 1 ? encoder.inputs[0].shape : undefined;
  const output = encoder.outputs.length === 1 ? encoder.outputs[0].shape : undefined;
  if (input?.length !== 4 || output?.length !== 2 || typeof output[1] !== "number") {
    throw failure(TypeError, fn, "encoder", what, modelShapes(encoder));
  }
  const [, height, width, channels] = input;
  return { height, width, channels, dim: output[1] };
}

/**
 * Checks that `head` is a single-input, single-output model `[N, inputDim] -> [N, P]` (and
 * `P = outputDim` when given) and returns P: a wrong rank is a TypeError, a width that does not
 * fit a RangeError.
 */
export function checkHead(
  fn: string,
  name: string,
  head: unknown,
  inputDim: number,
  from: string,
  outputDim?: number,
): number {
  const out = outputDim === undefined ? "P" : `${outputDim}`;
  const what = `a tf.LayersModel from [N, ${inputDim}] (${from}) to [N, ${out}]`;
  if (!(head instanceof tf.LayersModel)) throw typeError(fn, name, what, head);
  const input = head.inputs.length === 1 ? head.inputs[0].shape : undefined;
  const output = head.outputs.length === 1 ? head.outputs[0].shape : undefined;
  if (input?.length !== 2 || output?.length !== 2 || typeof output[1] !== "number") {
    throw failure(TypeError, fn, name, what, modelShapes(head));
  }
  if (input[1] !== inputDim || (outputDim !== undefined && output[1] !== outputDim)) {
    throw failure(RangeError, fn, name, what, modelShapes(head));
  }
  return output[1];
}

/** Checks that the models are distinct and share no variable. */
export function checkDistinct(fn: string, models: Record<string, tf.LayersModel>): void {
  const owner = new Map<number, string>();
  for (const [name, model] of Object.entries(models)) {
    for (const w of model.weights) {
      const id = w.read().id;
      const other = owner.get(id);
      if (other !== undefined) {
        throw failure(
          TypeError,
          fn,
          name,
          `a model with its own variables`,
          `a model that shares ${w.name} with ${other}`,
        );
      }
      owner.set(id, name);
    }
  }
}

// "a model [N,28,28,1] -> [N,64]", for messages (N: any size).
function modelShapes(model: tf.LayersModel): string {
  const shapes = (list: tf.SymbolicTensor[]) =>
    list.map((t) => `[${t.shape.map((d) => d ?? "N")}]`).join(", ");
  return `a model ${shapes(model.inputs)} -> ${shapes(model.outputs)}`;
}

/** A uint8 dataset or batch from `@selfsup/data`, recognised by its fields. */
export function isDataset(value: unknown): value is Dataset {
  return typeof value === "object" && value !== null && !(value instanceof tf.Tensor) &&
    (value as Dataset).images instanceof Uint8Array && Array.isArray((value as Dataset).shape);
}

/**
 * Checks the step's images: a float32 `[N, H, W, C]` tensor or a uint8 dataset, with N >= 2
 * and C the encoder's channels.
 */
export function checkImages(
  fn: string,
  images: unknown,
  channels: number | null,
): [number, number, number, number] {
  let shape: readonly number[];
  if (isDataset(images)) {
    shape = images.shape;
    const ok = shape.length === 4 && shape.every((d) => Number.isSafeInteger(d) && d >= 1) &&
      images.images.length === shape.reduce((a, b) => a * b, 1);
    if (!ok) {
      throw failure(
        RangeError,
        fn,
        "images",
        "a dataset whose shape [N, H, W, C] matches its pixel count",
        `shape ${describe([...shape])} with ${images.images.length} pixels`,
      );
    }
  } else if (images instanceof tf.Tensor) {
    checkTensor(fn, "images", images, {
      rank: 4,
      dtype: "float32",
      layout: "[N, H, W, C] in [0, 1]",
    });
    shape = images.shape;
  } else {
    throw typeError(
      fn,
      "images",
      "a float32 [N, H, W, C] tensor in [0, 1] or a Dataset / Batch from @selfsup/data",
      images,
    );
  }
  const [n, h, w, c] = shape;
  if (n < 2) {
    throw rangeError(
      fn,
      "images",
      "a batch of N >= 2 images (batch norm needs batch statistics)",
      shape,
    );
  }
  if (h < 1 || w < 1) throw rangeError(fn, "images", "[N, H, W, C] with H, W >= 1", shape);
  if (channels !== null && c !== channels) {
    throw rangeError(fn, "images", `[N, H, W, ${channels}] (the encoder's channels)`, shape);
  }
  return [n, h, w, c];
}

/** Reads back whether every value of `images` lies in [0, 1] (NaN fails): one small read. */
export async function checkUnitRange(fn: string, images: tf.Tensor4D): Promise<void> {
  const flags = tf.tidy(() => {
    const inside = tf.logicalAnd(tf.greaterEqual(images, 0), tf.lessEqual(images, 1));
    const outside = tf.sum(tf.cast(tf.logicalNot(inside), "float32"));
    return tf.stack([outside, tf.min(images), tf.max(images)]);
  });
  const [outside, lo, hi] = await flags.data();
  flags.dispose();
  if (outside !== 0) {
    throw failure(
      RangeError,
      fn,
      "images",
      "values in [0, 1]",
      `${outside} values outside it or NaN (min ${lo}, max ${hi})`,
    );
  }
}

/**
 * Checks that a view preset returned two float32 tensors of shape `want` (null: any size).
 */
export function checkViews(
  fn: string,
  views: unknown,
  want: readonly (number | null)[],
): asserts views is [tf.Tensor4D, tf.Tensor4D] {
  const fits = (v: unknown) =>
    v instanceof tf.Tensor && !v.isDisposed && v.dtype === "float32" && v.rank === 4 &&
    want.every((d, i) => d === null || v.shape[i] === d);
  if (!Array.isArray(views) || views.length !== 2 || !views.every(fits)) {
    const shape = `[${want.map((d, i) => d ?? "NHWC"[i]).join(", ")}]`;
    throw typeError(fn, "views", `a preset returning two float32 ${shape} tensors`, views);
  }
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
    } with matching values`;
    throw failure(
      RangeError,
      fn,
      name,
      want,
      `${r.dtype} [${r.shape}] with ${r.values.length} values`,
    );
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

/** Checks the top level of a state: an object with `method`, `models` and a step counter. */
export function checkStateHeader(fn: string, state: unknown, method: string): number {
  checkOptions(fn, state, "state");
  const s = state as { method?: unknown; step?: unknown; models?: unknown };
  if (s.method !== method) throw rangeError(fn, "state.method", describe(method), s.method);
  checkOptions(fn, s.models, "state.models");
  return checkInteger(fn, "state.step", s.step, { min: 0 });
}
