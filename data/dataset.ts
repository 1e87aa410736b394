import { checkOptions, rangeError, typeError } from "@selfsup/internal";
import { checkDataset, checkImageCount, checkImageShape, requireLabels } from "./_validate.ts";
import { pick } from "./_pick.ts";

/** Shape of an image batch: `[N, H, W, C]` (count, height, width, channels). */
export type ImageShape = readonly [number, number, number, number];

/**
 * A set of images as one uint8 NHWC array, with optional integer class labels.
 *
 * This is what every loader in `@selfsup/data` returns and what the batch iterator, the
 * labelled-subset sampler and `@selfsup/eval` take. Pixels stay uint8 (0-255) here to keep
 * memory low (Fashion-MNIST's 70,000 images take 55 MB); convert a batch to float32 in
 * [0, 1] only when it goes to the model, e.g. with {@linkcode toImageTensor}.
 */
export interface Dataset {
  /** Pixels in NHWC row-major order; length `N * H * W * C`. */
  readonly images: Uint8Array;
  /** `[N, H, W, C]`. */
  readonly shape: ImageShape;
  /** One class index per image, in `[0, classNames.length)` when names are given. */
  readonly labels?: Int32Array;
  /** Human-readable class names; `classNames[label]`. */
  readonly classNames?: readonly string[];
}

/** Options of {@linkcode fromArrays}. */
export interface FromArraysOptions {
  /** One integer class label (>= 0) per image. */
  labels?: ArrayLike<number>;
  /** Class names; when given every label must be below `classNames.length`. */
  classNames?: readonly string[];
}

/**
 * Wraps in-memory arrays as a {@linkcode Dataset}, checking that they fit together.
 *
 * The pixel array is used as is (not copied); the labels are copied into an `Int32Array`.
 *
 * @param images Pixels, uint8, NHWC row-major.
 * @param shape `[N, H, W, C]` with positive H, W, C and N >= 0.
 * @param options Optional labels and class names.
 * @returns The dataset.
 * @throws {TypeError} If `images` is not a Uint8Array, `shape` not four numbers, or
 *   `labels` / `classNames` not arrays.
 * @throws {RangeError} If the shape is not four positive integers (N may be 0), if
 *   `images.length` is not the product of the shape, or if a label is not an integer in range
 *   (below `classNames.length` when names are given).
 *
 * @example Two 2x2 grey images with labels
 * ```ts
 * import { fromArrays } from "@selfsup/data";
 * import assert from "node:assert/strict";
 *
 * const ds = fromArrays(new Uint8Array(8).fill(255), [2, 2, 2, 1], { labels: [0, 1] });
 * assert.deepEqual(ds.shape, [2, 2, 2, 1]);
 * assert.deepEqual([...ds.labels!], [0, 1]);
 * ```
 */
export function fromArrays(
  images: Uint8Array,
  shape: readonly number[],
  options: FromArraysOptions = {},
): Dataset {
  const fn = "fromArrays";
  if (!(images instanceof Uint8Array)) throw typeError(fn, "images", "a Uint8Array", images);
  const checked = checkImageShape(fn, "shape", shape);
  checkImageCount(fn, "images", images, checked);
  checkOptions(fn, options);
  const { classNames } = options;
  if (
    classNames !== undefined &&
    !(Array.isArray(classNames) && classNames.every((name) => typeof name === "string"))
  ) {
    throw typeError(fn, "classNames", "an array of strings", classNames);
  }
  let labels: Int32Array | undefined;
  if (options.labels !== undefined) {
    labels = checkLabels(fn, options.labels, checked[0], classNames?.length);
  }
  return { images, shape: checked, labels, classNames };
}

/**
 * Returns the images at `indices` (in that order) as a new dataset with copied pixels.
 *
 * @param dataset The source dataset.
 * @param indices Image indices; repeats are allowed.
 * @returns A dataset of `indices.length` images with the matching labels and class names.
 * @throws {TypeError} If `dataset` is not a dataset or `indices` not an array-like.
 * @throws {RangeError} If an index is not an integer in `[0, N)`.
 *
 * @example Reverse a dataset
 * ```ts
 * import { fromArrays, selectImages } from "@selfsup/data";
 * import assert from "node:assert/strict";
 *
 * const ds = fromArrays(new Uint8Array([1, 2, 3]), [3, 1, 1, 1], { labels: [0, 1, 2] });
 * const reversed = selectImages(ds, [2, 1, 0]);
 * assert.deepEqual([...reversed.images], [3, 2, 1]);
 * assert.deepEqual([...reversed.labels!], [2, 1, 0]);
 * ```
 */
export function selectImages(dataset: Dataset, indices: ArrayLike<number>): Dataset {
  const fn = "selectImages";
  checkDataset(fn, "dataset", dataset);
  if (typeof indices !== "object" || indices === null || typeof indices.length !== "number") {
    throw typeError(fn, "indices", "an array of integers", indices);
  }
  return pick(fn, dataset, indices);
}

/**
 * Counts the images of each class.
 *
 * @param dataset A labelled dataset.
 * @returns `counts[c]` = number of images with label `c`; its length is the number of class
 *   names, or the largest label + 1 when there are none.
 * @throws {TypeError} If the dataset has no labels.
 *
 * @example
 * ```ts
 * import { classCounts, fromArrays } from "@selfsup/data";
 * import assert from "node:assert/strict";
 *
 * const ds = fromArrays(new Uint8Array(4), [4, 1, 1, 1], { labels: [0, 2, 2, 0] });
 * assert.deepEqual(classCounts(ds), [2, 0, 2]);
 * ```
 */
export function classCounts(dataset: Dataset): number[] {
  const fn = "classCounts";
  const labels = requireLabels(fn, "dataset", checkDataset(fn, "dataset", dataset));
  let numClasses = dataset.classNames?.length ?? 0;
  for (const label of labels) numClasses = Math.max(numClasses, label + 1);
  const counts = new Array<number>(numClasses).fill(0);
  for (const label of labels) counts[label]++;
  return counts;
}

function checkLabels(
  fn: string,
  labels: ArrayLike<number>,
  n: number,
  numClasses?: number,
): Int32Array {
  if (typeof labels !== "object" || labels === null || typeof labels.length !== "number") {
    throw typeError(fn, "labels", "an array of integer labels", labels);
  }
  if (labels.length !== n) {
    throw new RangeError(
      `${fn}(): labels.length must equal the number of images ${n}, got ${labels.length}`,
    );
  }
  const out = new Int32Array(n);
  const limit = numClasses ?? 2 ** 31 - 1;
  for (let i = 0; i < n; i++) {
    const label = labels[i];
    if (!Number.isInteger(label) || label < 0 || label >= limit) {
      throw rangeError(fn, `labels[${i}]`, `an integer in [0, ${limit})`, label);
    }
    out[i] = label;
  }
  return out;
}
