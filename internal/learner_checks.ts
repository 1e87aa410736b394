// Checks the learners (simclr, byol, distill) share at their boundary: their models, their
// step's images and views, option keys. House message format throughout.
import * as tf from "@tensorflow/tfjs";
import { checkTensor, describe, rangeError, typeError } from "./validate.ts";

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

/**
 * Throws a TypeError naming the first key of `options` that is not in `allowed`: a typo in an
 * option name would otherwise be a silently ignored setting.
 */
export function checkKeys(
  fn: string,
  options: object,
  allowed: readonly string[],
  name = "options",
): void {
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new TypeError(
        `${fn}(): ${name} must have only the keys ${allowed.join(", ")}, got key ${
          JSON.stringify(key)
        }`,
      );
    }
  }
}

/** What a learner needs to know about its encoder. */
export interface EncoderShape {
  /** Input height where the model fixes it, else null. */
  height: number | null;
  /** Input width where the model fixes it, else null. */
  width: number | null;
  /** Input channels where the model fixes them, else null. */
  channels: number | null;
  /** Width D of the representation `[N, D]`. */
  dim: number;
}

/** Checks that `encoder` is a single-input, single-output model `[N, H, W, C] -> [N, D]`. */
export function checkEncoder(fn: string, encoder: unknown, name = "encoder"): EncoderShape {
  const what = "a tf.LayersModel from [N, H, W, C] images to [N, D]";
  if (!(encoder instanceof tf.LayersModel)) throw typeError(fn, name, what, encoder);
  const input = encoder.inputs.length === 1 ? encoder.inputs[0].shape : undefined;
  const output = encoder.outputs.length === 1 ? encoder.outputs[0].shape : undefined;
  if (input?.length !== 4 || output?.length !== 2 || typeof output[1] !== "number") {
    throw failure(TypeError, fn, name, what, modelShapes(encoder));
  }
  const [, height, width, channels] = input;
  return { height, width, channels, dim: output[1] };
}

/**
 * Checks that `head` is a single-input, single-output model `[N, inputDim] -> [N, P]` (and
 * `P = outputDim` when given) and returns P: a wrong rank is a TypeError, a width that does not
 * fit a RangeError. `from` says where `inputDim` comes from, e.g. "the encoder's output".
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
          "a model with its own variables",
          `a model that shares ${w.name} with ${other}`,
        );
      }
      owner.set(id, name);
    }
  }
}

/** "a model [N,28,28,1] -> [N,64]", for messages (N: any size). */
export function modelShapes(model: tf.LayersModel): string {
  const shapes = (list: tf.SymbolicTensor[]) =>
    list.map((t) => `[${t.shape.map((d) => d ?? "N")}]`).join(", ");
  return `a model ${shapes(model.inputs)} -> ${shapes(model.outputs)}`;
}

/** A uint8 image set as `@selfsup/data` yields it (its `Dataset` and `Batch`). */
export interface Uint8Images {
  /** Pixels in NHWC order. */
  readonly images: Uint8Array;
  /** `[N, H, W, C]`. */
  readonly shape: readonly number[];
}

/** A uint8 dataset or batch from `@selfsup/data`, recognised by its fields. */
export function isDataset(value: unknown): value is Uint8Images {
  return typeof value === "object" && value !== null && !(value instanceof tf.Tensor) &&
    (value as Uint8Images).images instanceof Uint8Array &&
    Array.isArray((value as Uint8Images).shape);
}

/**
 * Checks a step's images: a float32 `[N, H, W, C]` tensor or a uint8 dataset, with at least
 * `minBatch` images (default 2: batch norm needs batch statistics) and C the encoder's
 * channels. Returns the shape.
 */
export function checkImages(
  fn: string,
  images: unknown,
  channels: number | null,
  minBatch = 2,
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
  if (n < minBatch) {
    throw rangeError(
      fn,
      "images",
      `a batch of N >= ${minBatch} images (batch norm needs batch statistics)`,
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
export async function checkUnitRange(fn: string, images: tf.Tensor): Promise<void> {
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
      "in [0, 1]",
      `${outside} values outside it or NaN (min ${lo}, max ${hi})`,
    );
  }
}

/** Checks that a view preset returned two float32 tensors of shape `want` (null: any size). */
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

/** The rate of an optimizer whose schedule is its own (tfjs optimizers keep it in a field). */
export function currentRate(optimizer: tf.Optimizer): number {
  const rate = (optimizer as unknown as { learningRate?: unknown }).learningRate;
  return typeof rate === "number" ? rate : NaN;
}
