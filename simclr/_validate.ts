// Checks of the learner's models and step inputs, in the house message format.
import * as tf from "@tensorflow/tfjs";
import type { Dataset } from "@selfsup/data";
import { checkTensor, describe, rangeError, typeError } from "@selfsup/internal";

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
  /** Input height and width when the model fixes them, else null. */
  height: number | null;
  width: number | null;
  /** Input channels when the model fixes them, else null. */
  channels: number | null;
  /** Width D of the representation h `[N, D]`. */
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
 * Checks that `head` is a single-input, single-output model `[N, dim] -> [N, P]`: a wrong
 * rank is a TypeError, a width that differs from the encoder's a RangeError.
 */
export function checkHead(fn: string, head: unknown, dim: number, encoder: tf.LayersModel): void {
  const what = `a tf.LayersModel from [N, ${dim}] (the encoder's output) to [N, P]`;
  if (!(head instanceof tf.LayersModel)) throw typeError(fn, "head", what, head);
  if (head === encoder) {
    throw failure(TypeError, fn, "head", "a different model from encoder", "the encoder");
  }
  const input = head.inputs.length === 1 ? head.inputs[0].shape : undefined;
  const output = head.outputs.length === 1 ? head.outputs[0].shape : undefined;
  if (input?.length !== 2 || output?.length !== 2 || typeof output[1] !== "number") {
    throw failure(TypeError, fn, "head", what, modelShapes(head));
  }
  if (input[1] !== dim) throw failure(RangeError, fn, "head", what, modelShapes(head));
}

// "a model [null,28,28,1] -> [null,64]", for messages (null: any size).
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
 * and C the encoder's channels. Returns the shape `[N, H, W, C]`.
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
    throw rangeError(fn, "images", "a batch of N >= 2 images (NT-Xent needs negatives)", shape);
  }
  if (h < 1 || w < 1) throw rangeError(fn, "images", "[N, H, W, C] with H, W >= 1", shape);
  if (channels !== null && c !== channels) {
    throw rangeError(fn, "images", `[N, H, W, ${channels}] (the encoder's channels)`, shape);
  }
  return [n, h, w, c];
}

/**
 * Reads back whether every value of `images` lies in [0, 1] (NaN fails): one read of three
 * numbers.
 */
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
      "in [0, 1]",
      `${outside} values outside it or NaN (min ${lo}, max ${hi})`,
    );
  }
}
