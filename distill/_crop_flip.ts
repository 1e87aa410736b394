// The only augmentation of SimCLRv2's fine-tuning and distillation: random resized crop and a
// horizontal flip (arXiv:2006.10029, section 4: "Only random crop and horizontal flips of
// training images are applied during fine-tuning and distillation").
import * as tf from "@tensorflow/tfjs";
import { randomFlip, randomResizedCrop } from "@selfsup/augment";
import { checkNumber, deriveSeed, rangeError, typeError } from "@selfsup/internal";

/** The crop's area range of SimCLR's `distorted_bounding_box_crop` (Inception-style). */
export const DEFAULT_CROP_SCALE: readonly [number, number] = Object.freeze([
  0.08,
  1,
]) as readonly [
  number,
  number,
];

// Sub-streams of one view's seed.
const CROP = 1, FLIP = 2;

/** Checks a crop area range `[low, high]` with 0 < low <= high <= 1. */
export function checkCropScale(fn: string, value: unknown): [number, number] {
  const what = "[low, high] with 0 < low <= high <= 1";
  if (!Array.isArray(value) || value.length !== 2) {
    throw typeError(fn, "cropScale", what, value);
  }
  const [low, high] = value.map((v, i) =>
    checkNumber(fn, `cropScale[${i}]`, v, { above: 0, max: 1 })
  );
  if (low > high) throw rangeError(fn, "cropScale", what, value);
  return [low, high];
}

/**
 * A crop-and-flip view of `images` at their own size: random resized crop (area in `scale`,
 * aspect ratio 3/4-4/3) then a flip with probability 0.5, each image with its own draw from
 * `seed`. No value check (the learner checked at its boundary).
 */
export function cropFlip(
  images: tf.Tensor4D,
  seed: number,
  scale: [number, number],
): tf.Tensor4D {
  return tf.tidy(() => {
    const crops = randomResizedCrop(images, {
      seed: deriveSeed(seed, CROP),
      scale,
      checkValues: false,
    });
    return randomFlip(crops, {
      seed: deriveSeed(seed, FLIP),
      checkValues: false,
    });
  });
}
