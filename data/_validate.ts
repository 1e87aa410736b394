// Argument checks shared by the functions of this package, in the house message format of
// `@selfsup/internal`: `fn(): argument must be ..., got ...`, naming the public function.
import { rangeError, typeError } from "@selfsup/internal";
import type { Dataset, ImageShape } from "./dataset.ts";

/**
 * Checks an `[N, H, W, C]` shape: four integers (TypeError otherwise), N >= 0 and H, W, C > 0
 * (RangeError otherwise).
 */
export function checkImageShape(fn: string, name: string, shape: unknown): ImageShape {
  const what = "[N, H, W, C] with integer N >= 0 and H, W, C > 0";
  if (!Array.isArray(shape) || shape.length !== 4 || !shape.every((d) => typeof d === "number")) {
    throw typeError(fn, name, what, shape);
  }
  if (!shape.every((d, i) => Number.isSafeInteger(d) && (i === 0 ? d >= 0 : d > 0))) {
    throw rangeError(fn, name, what, shape);
  }
  return [shape[0], shape[1], shape[2], shape[3]];
}

/**
 * Checks that `images` holds the product of `shape` values. Every argument is the user's, so
 * the message names them.
 */
export function checkImageCount(
  fn: string,
  name: string,
  images: Uint8Array,
  shape: ImageShape,
): void {
  const expected = shape[0] * shape[1] * shape[2] * shape[3];
  if (images.length !== expected) {
    throw new RangeError(
      `${fn}(): ${name}.length must equal the product of shape [${shape.join(", ")}] = ` +
        `${expected}, got ${images.length}`,
    );
  }
}

/**
 * Checks that `value` is a {@linkcode Dataset}: uint8 images that fit its shape, and Int32Array
 * labels of one per image when present. O(1): the label values were checked when the dataset
 * was made.
 */
export function checkDataset(fn: string, name: string, value: unknown): Dataset {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw typeError(fn, name, "a dataset ({ images, shape, labels? })", value);
  }
  const dataset = value as Dataset;
  if (!(dataset.images instanceof Uint8Array)) {
    throw typeError(fn, `${name}.images`, "a Uint8Array", dataset.images);
  }
  const shape = checkImageShape(fn, `${name}.shape`, dataset.shape);
  checkImageCount(fn, `${name}.images`, dataset.images, shape);
  if (dataset.labels !== undefined) {
    if (!(dataset.labels instanceof Int32Array)) {
      throw typeError(fn, `${name}.labels`, "an Int32Array", dataset.labels);
    }
    if (dataset.labels.length !== shape[0]) {
      throw new RangeError(
        `${fn}(): ${name}.labels.length must equal the number of images ${shape[0]}, ` +
          `got ${dataset.labels.length}`,
      );
    }
  }
  return dataset;
}

/** Checks that a dataset has labels (TypeError otherwise) and returns them. */
export function requireLabels(fn: string, name: string, dataset: Dataset): Int32Array {
  if (dataset.labels === undefined) {
    throw new TypeError(`${fn}(): ${name} must have labels, got a dataset without labels`);
  }
  return dataset.labels;
}

/** Checks an optional string used only in messages (a file name). */
export function checkName(fn: string, name: string, value: unknown): string | undefined {
  if (value !== undefined && typeof value !== "string") {
    throw typeError(fn, name, "a string", value);
  }
  return value;
}
