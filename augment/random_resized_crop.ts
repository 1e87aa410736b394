import type * as tf from "@tensorflow/tfjs";
import { cropKernel } from "./_kernels.ts";
import { Random } from "./_random.ts";
import {
  checkImages,
  checkInterval,
  checkNumber,
  checkSeed,
  checkSize,
  checkUnitRange,
  wantsValueCheck,
} from "./_validate.ts";
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
  /** Range of the crop's aspect ratio (width / height, in pixels), sampled log-uniformly. Default `[3/4, 4/3]`. */
  ratio?: [number, number];
}

/** How many (area, ratio) draws are tried per image before falling back to a center crop. */
const ATTEMPTS = 10;

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
 * @throws {RangeError} If `count` is not a non-negative integer, the image size is not a
 * positive integer, a range is reversed, `scale` is outside (0, 1] or `ratio` is not > 0.
 * @throws {TypeError} If the seed or a range has the wrong type.
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
  const where = "sampleCropBoxes";
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(`${where}: count must be an integer >= 0, got ${count}`);
  }
  checkSeed(options.seed, where);
  const [height, width] = checkSize([options.height, options.width], where);
  const [s0, s1] = checkInterval(options.scale ?? [0.08, 1], "scale", where, 0, 1, true);
  const [r0, r1] = checkInterval(
    options.ratio ?? [3 / 4, 4 / 3],
    "ratio",
    where,
    0,
    Infinity,
    true,
  );
  const rng = new Random(options.seed);
  const [logR0, logR1] = [Math.log(r0), Math.log(r1)];
  // Fraction-of-side conversion: a crop of area fraction s and pixel ratio r spans
  // fw = sqrt(s r H / W) of the width and fh = sqrt(s W / (r H)) of the height.
  const hw = height / width;
  const boxes: CropBox[] = [];
  for (let i = 0; i < count; i++) {
    let box: CropBox | undefined;
    for (let attempt = 0; attempt < ATTEMPTS && !box; attempt++) {
      const s = rng.uniform(s0, s1);
      const r = Math.exp(rng.uniform(logR0, logR1));
      const fw = Math.sqrt(s * r * hw);
      const fh = Math.sqrt(s / (r * hw));
      if (fw <= 1 && fh <= 1) {
        const y1 = rng.uniform(0, 1 - fh);
        const x1 = rng.uniform(0, 1 - fw);
        box = [y1, x1, Math.min(1, y1 + fh), Math.min(1, x1 + fw)];
      }
    }
    boxes.push(box ?? centerBox(width / height, r0, r1));
  }
  return boxes;
}

function centerBox(imageRatio: number, r0: number, r1: number): CropBox {
  // The whole image, cut down on one side only when its own ratio is outside [r0, r1].
  const fh = imageRatio < r0 ? imageRatio / r0 : 1;
  const fw = imageRatio > r1 ? r1 / imageRatio : 1;
  return [(1 - fh) / 2, (1 - fw) / 2, (1 + fh) / 2, (1 + fw) / 2];
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
): tf.Tensor4D {
  const where = "resizedCrop";
  checkImages(images, where);
  const outSize = checkSize(size, where);
  const n = images.shape[0];
  if (boxes === null || typeof boxes !== "object" || boxes.length !== n) {
    throw new RangeError(
      `${where}: boxes must hold one box per image (${n}), got ${boxes?.length ?? boxes}`,
    );
  }
  for (let i = 0; i < n; i++) {
    const b = boxes[i];
    if (!Array.isArray(b) || b.length !== 4) {
      throw new TypeError(`${where}: boxes[${i}] must be [y1, x1, y2, x2], got ${b}`);
    }
    b.forEach((v, k) => checkNumber(v, `boxes[${i}][${k}]`, where, 0, 1));
    if (b[0] > b[2] || b[1] > b[3]) {
      throw new RangeError(`${where}: boxes[${i}] must have y1 <= y2 and x1 <= x2, got [${b}]`);
    }
  }
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
 * @param options Seed, output size and the `scale` / `ratio` ranges.
 * @returns A new `[N, size, size, C]` tensor in [0, 1]; the caller disposes it.
 * @throws {RangeError} On a bad shape, values outside [0, 1], a reversed range or a size < 1.
 * @throws {TypeError} On arguments of the wrong type.
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
  const where = "randomResizedCrop";
  checkImages(images, where);
  checkSeed(options.seed, where);
  const [n, h, w] = images.shape;
  const outSize = checkSize(options.size ?? [h, w], where);
  const boxes = sampleCropBoxes(n, {
    seed: options.seed,
    height: h,
    width: w,
    scale: options.scale,
    ratio: options.ratio,
  });
  if (wantsValueCheck(options, where)) checkUnitRange(images, where);
  return cropKernel(images, boxes, outSize);
}
