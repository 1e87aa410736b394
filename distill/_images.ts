// The images a learner step or teacherLabels takes: a float32 tensor in [0, 1] or a uint8
// Dataset / Batch from @selfsup/data, checked against the model's input once at the boundary.
import * as tf from "@tensorflow/tfjs";
import type { Dataset } from "@selfsup/data";
import { toImageTensor } from "@selfsup/data";
import { typeError } from "@selfsup/internal";
import { rangeErrorAs, shapeText, typeErrorAs } from "./_errors.ts";

/** Images as a learner step takes them. */
export type ImageInput = tf.Tensor4D | Dataset;

/** True for a value shaped like a `Dataset` of `@selfsup/data` (uint8 pixels and a shape). */
export function isDataset(value: unknown): value is Dataset {
  if (value === null || typeof value !== "object") return false;
  const candidate = value as Partial<Dataset>;
  return candidate.images instanceof Uint8Array &&
    Array.isArray(candidate.shape);
}

/** The `[H, W, C]` a single-input model takes (null where the model leaves a size open). */
export function inputSize(model: tf.LayersModel): (number | null)[] {
  return model.inputs[0].shape.slice(1);
}

/**
 * Checks images (a float32 `[N, H, W, C]` tensor or a Dataset) against a model's input size
 * and a minimum batch, without reading values.
 *
 * @returns The batch size N.
 */
export function checkImages(
  fn: string,
  name: string,
  images: unknown,
  size: readonly (number | null)[],
  minBatch: number,
): number {
  const layout = `[N, ${size.map((d) => d ?? "?").join(", ")}]`;
  let shape: readonly number[];
  if (images instanceof tf.Tensor) {
    if (images.isDisposed) {
      throw typeError(fn, name, "a tensor that is not disposed", images);
    }
    if (images.rank !== 4) {
      throw typeError(fn, name, `a rank-4 tensor ${layout}`, images);
    }
    if (images.dtype !== "float32") {
      throw typeError(
        fn,
        name,
        "a float32 tensor (or a uint8 Dataset)",
        images,
      );
    }
    shape = images.shape;
  } else if (isDataset(images)) {
    shape = images.shape;
    const [n, h, w, c] = shape;
    if (shape.length !== 4 || images.images.length !== n * h * w * c) {
      throw typeErrorAs(
        fn,
        name,
        `a Dataset of shape ${layout}`,
        `shape ${shapeText(shape)}`,
      );
    }
  } else {
    throw typeError(
      fn,
      name,
      `a float32 tensor ${layout} or a Dataset`,
      images,
    );
  }
  if (size.some((d, i) => d !== null && d !== shape[i + 1])) {
    throw rangeErrorAs(
      fn,
      name,
      `images of shape ${layout} (the model's input)`,
      shapeText(shape),
    );
  }
  if (shape[0] < minBatch) {
    throw rangeErrorAs(
      fn,
      name,
      `a batch of at least ${minBatch} images`,
      shapeText(shape),
    );
  }
  return shape[0];
}

/**
 * Throws unless every value of a float tensor lies in [0, 1] (one read of two numbers; NaN
 * fails too). Datasets are uint8 and need no check.
 */
export function checkUnitRange(
  fn: string,
  name: string,
  images: ImageInput,
): void {
  if (!(images instanceof tf.Tensor)) return;
  const [low, high] = tf.tidy(() => tf.stack([tf.min(images), tf.max(images)]).dataSync());
  if (!(low >= 0 && high <= 1)) {
    throw rangeErrorAs(
      fn,
      name,
      "values in [0, 1]",
      `values in [${low}, ${high}]`,
    );
  }
}

/** The images as a float32 tensor in [0, 1]; `owned` says whether the caller must dispose it. */
export function imageTensor(
  images: ImageInput,
): { tensor: tf.Tensor4D; owned: boolean } {
  return images instanceof tf.Tensor
    ? { tensor: images, owned: false }
    : { tensor: toImageTensor(images), owned: true };
}
