import type * as tf from "@tensorflow/tfjs";
import {
  checkInteger,
  checkNumber,
  checkOptions,
  checkSeed,
  rangeError,
  typeError,
} from "@selfsup/internal";
import { drawCropBoxes } from "./_crop_boxes.ts";
import { cropKernel } from "./_kernels.ts";
import { checkImages, checkRange, checkRatio, checkScale, checkSize } from "./_validate.ts";
import type { ValueCheckOptions } from "./value_check_options.ts";

/** A crop box in normalised coordinates `[y1, x1, y2, x2]`, as `tf.image.cropAndResize` takes. */
export type CropBox = [number, number, number, number];

/** Options of {@linkcode sampleCropBoxes}. */
export interface CropBoxOptions {
  /** Integer seed; the same seed gives the same boxes. */
  seed: number;
  /** Height of the images the boxes are for, in pixels. */
  height: number;
  /** Width of the images the boxes are for, in pixels. */
  width: number;
  /** Range of the crop's area as a fraction of the image's area. Default `[0.08, 1]`. */
  scale?: [number, number];
  /**
   * Range of the crop's aspect ratio (width / height, in pixels), sampled log-uniformly.
   * Default `[3/4, 4/3]`.
   */
  ratio?: [number, number];
}

/**
 * Samples one random-resized-crop box per image, as torchvision's `RandomResizedCrop` and
 * SimCLR's `distorted_bounding_box_crop` do: draw an area fraction uniformly from `scale` and an
 * aspect ratio log-uniformly from `ratio`; if the box fits in the image place it uniformly at
 * random, else try again (up to 10 times), then fall back to the largest center crop whose
 * aspect ratio is clamped into `ratio`. Boxes are continuous (not rounded to whole pixels), so
 * the sampled area and ratio follow the spec distribution exactly.
 *
 * @param count Number of boxes (images).
 * @param options Seed, image size, and the `scale` / `ratio` ranges.
 * @returns `count` boxes `[y1, x1, y2, x2]` with 0 <= y1 < y2 <= 1 and 0 <= x1 < x2 <= 1.
 * @throws {RangeError} If `count` is not an integer >= 0, the seed not a safe integer, the
 * image size not integers >= 1, a range reversed, `scale` outside (0, 1] or `ratio` not > 0.
 * @throws {TypeError} If an argument has the wrong type.
 *
 * @example Boxes for two 28x28 images
 * ```ts
 * import { sampleCropBoxes } from "@selfsup/augment";
 * import assert from "node:assert/strict";
 *
 * const boxes = sampleCropBoxes(2, { seed: 1, height: 28, width: 28 });
 * for (const [y1, x1, y2, x2] of boxes) {
 *   const area = (y2 - y1) * (x2 - x1);
 *   assert.ok(area >= 0.08 - 1e-12 && area <= 1 + 1e-12);
 * }
 * ```
 */
export function sampleCropBoxes(count: number, options: CropBoxOptions): CropBox[] {
  const fn = "sampleCropBoxes";
  checkInteger(fn, "count", count, { min: 0 });
  checkOptions(fn, options);
  const seed = checkSeed(fn, options.seed);
  const height = checkInteger(fn, "height", options.height, { min: 1 });
  const width = checkInteger(fn, "width", options.width, { min: 1 });
  const scale = checkScale(fn, options.scale);
  const ratio = checkRatio(fn, options.ratio);
  return drawCropBoxes(count, seed, height, width, scale, ratio);
}

/**
 * Crops each image to its box and resizes the crop to `size` with bilinear interpolation, in
 * one batched `tf.image.cropAndResize`. The full box `[0, 0, 1, 1]` with the input's own size
 * returns the images unchanged.
 *
 * @param images Float32 `[N, H, W, C]` batch in [0, 1], C = 1 or 3.
 * @param boxes One box `[y1, x1, y2, x2]` per image, normalised, with 0 <= y1 <= y2 <= 1 and
 * 0 <= x1 <= x2 <= 1.
 * @param size Output size: an integer for a square or `[height, width]`.
 * @param options Whether to check that the images are in [0, 1] (a read-back). Default true.
 * @returns A new `[N, height, width, C]` tensor in [0, 1]; the caller disposes it.
 * @throws {RangeError} If the images, a box or the size are out of range.
 * @throws {TypeError} If an argument has the wrong type.
 *
 * @example The full box keeps the image
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { resizedCrop } from "@selfsup/augment";
 * import assert from "node:assert/strict";
 *
 * const images = tf.tensor4d([0, 0.5, 1, 0.25], [1, 2, 2, 1]);
 * const out = resizedCrop(images, [[0, 0, 1, 1]], 2);
 * assert.deepEqual(Array.from(out.dataSync()), [0, 0.5, 1, 0.25]);
 * tf.dispose([images, out]);
 * ```
 */
export function resizedCrop(
  images: tf.Tensor4D,
  boxes: ArrayLike<CropBox>,
  size: number | [number, number],
  options: ValueCheckOptions = {},
): tf.Tensor4D {
  const fn = "resizedCrop";
  checkImages(fn, images);
  const n = images.shape[0];
  const what = `an array of ${n} boxes, one per image`;
  if (boxes === null || typeof boxes !== "object" || typeof boxes.length !== "number") {
    throw typeError(fn, "boxes", what, boxes);
  }
  if (boxes.length !== n) throw rangeError(fn, "boxes", what, boxes);
  for (let i = 0; i < n; i++) {
    const b = boxes[i];
    if (!Array.isArray(b) || b.length !== 4) {
      throw typeError(fn, `boxes[${i}]`, "a box [y1, x1, y2, x2]", b);
    }
    b.forEach((v, k) => checkNumber(fn, `boxes[${i}][${k}]`, v, { min: 0, max: 1 }));
    if (b[0] > b[2] || b[1] > b[3]) {
      throw rangeError(fn, `boxes[${i}]`, "a box with y1 <= y2 and x1 <= x2", b);
    }
  }
  const outSize = checkSize(fn, size);
  checkRange(fn, images, options);
  return cropKernel(images, boxes, outSize);
}

/** Options of {@linkcode randomResizedCrop}. */
export interface RandomResizedCropOptions extends ValueCheckOptions {
  /** Integer seed; the same seed gives the same crops. */
  seed: number;
  /** Output size: an integer for a square or `[height, width]`. Default: the input's size. */
  size?: number | [number, number];
  /** Range of the crop's area as a fraction of the image's area. Default `[0.08, 1]`. */
  scale?: [number, number];
  /** Range of the crop's aspect ratio, sampled log-uniformly. Default `[3/4, 4/3]`. */
  ratio?: [number, number];
}

/**
 * Random resized crop, the first and strongest SimCLR augmentation (Chen et al. 2020,
 * arXiv:2002.05709): each image gets its own box from {@linkcode sampleCropBoxes}, then all are
 * cropped and resized bilinearly in one batched `tf.image.cropAndResize`.
 *
 * @param images Float32 `[N, H, W, C]` batch in [0, 1], C = 1 or 3.
 * @param options Seed, output size, the `scale` / `ratio` ranges and whether to check the values.
 * @returns A new `[N, size, size, C]` tensor in [0, 1]; the caller disposes it.
 * @throws {RangeError} On C other than 1 or 3, values outside [0, 1], a reversed range or a
 * size < 1.
 * @throws {TypeError} On arguments of the wrong type, and images that are not a float32
 * rank-4 tensor.
 *
 * @example Two 28x28 grayscale images to 16x16 crops
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { randomResizedCrop } from "@selfsup/augment";
 * import assert from "node:assert/strict";
 *
 * const images = tf.randomUniform([2, 28, 28, 1], 0, 1, "float32", 7) as tf.Tensor4D;
 * const crops = randomResizedCrop(images, { seed: 3, size: 16 });
 * assert.deepEqual(crops.shape, [2, 16, 16, 1]);
 * tf.dispose([images, crops]);
 * ```
 */
export function randomResizedCrop(
  images: tf.Tensor4D,
  options: RandomResizedCropOptions,
): tf.Tensor4D {
  const fn = "randomResizedCrop";
  checkImages(fn, images);
  checkOptions(fn, options);
  const seed = checkSeed(fn, options.seed);
  const [n, h, w] = images.shape;
  const outSize = checkSize(fn, options.size ?? [h, w]);
  const boxes = drawCropBoxes(
    n,
    seed,
    h,
    w,
    checkScale(fn, options.scale),
    checkRatio(fn, options.ratio),
  );
  checkRange(fn, images, options);
  return cropKernel(images, boxes, outSize);
}
