// The checks only augment needs, built on @selfsup/internal's: image batches, their [0, 1]
// range, output sizes, [lo, hi] ranges, per-image parameters and jitter strengths. `fn` is the
// public function the user called and `name` the argument as they wrote it.
import * as tf from "@tensorflow/tfjs";
import {
  checkBoolean,
  checkNumber,
  checkOneOf,
  checkOptions,
  checkTensor,
  type NumberBounds,
  rangeError,
  typeError,
} from "@selfsup/internal";
import type { ColorJitterStrengths } from "./color_jitter.ts";

/**
 * Checks that `images` is a float32 [N, H, W, C] tensor (TypeError otherwise) with N, H, W >= 1
 * and C = 1 or 3 (RangeError otherwise).
 */
export function checkImages(fn: string, images: unknown): asserts images is tf.Tensor4D {
  checkTensor(fn, "images", images, { rank: 4, dtype: "float32", layout: "[N, H, W, C]" });
  const [n, h, w, c] = (images as tf.Tensor4D).shape;
  if (n < 1 || h < 1 || w < 1) {
    throw rangeError(fn, "images", "a batch with N, H, W >= 1", images);
  }
  if (c !== 1 && c !== 3) throw rangeError(fn, "images", "a batch with C = 1 or 3", images);
}

/**
 * Checks `checkValues` (default true), then, unless it is false, that every value of `images`
 * lies in [0, 1] (NaN fails). The check reads two scalars back, a GPU round trip: it runs once
 * per public call, after the cheap checks, so a bad argument never costs a read-back.
 */
export function checkRange(
  fn: string,
  images: tf.Tensor4D,
  options: { checkValues?: unknown },
): void {
  if (!checkBoolean(fn, "checkValues", options.checkValues ?? true)) return;
  const [lo, hi] = tf.tidy(() => tf.stack([images.min(), images.max()]).dataSync());
  if (!(lo >= 0 && hi <= 1)) {
    throw new RangeError(`${fn}(): images must be in [0, 1], got values in [${lo}, ${hi}]`);
  }
}

/** Checks an optional options object: `undefined` is `{}`. */
export function optionalOptions<T extends object>(fn: string, options: T | undefined): T {
  return options === undefined ? {} as T : checkOptions(fn, options);
}

/** Checks a [lo, hi] pair of finite numbers within `bounds` with lo <= hi. */
export function checkInterval(
  fn: string,
  name: string,
  value: unknown,
  bounds: NumberBounds,
): [number, number] {
  if (!Array.isArray(value) || value.length !== 2) {
    throw typeError(fn, name, "a [lo, hi] pair of numbers", value);
  }
  const lo = checkNumber(fn, `${name}[0]`, value[0], bounds);
  const hi = checkNumber(fn, `${name}[1]`, value[1], bounds);
  if (lo > hi) throw rangeError(fn, name, "a range with lo <= hi", value);
  return [lo, hi];
}

/** Resolves an output size (one integer for a square, or [height, width]) to [height, width]. */
export function checkSize(fn: string, size: unknown, name = "size"): [number, number] {
  const what = "an integer >= 1 or a [height, width] pair of them";
  if (typeof size === "number") {
    if (!Number.isSafeInteger(size) || size < 1) throw rangeError(fn, name, what, size);
    return [size, size];
  }
  if (!Array.isArray(size) || size.length !== 2) throw typeError(fn, name, what, size);
  for (const s of size) {
    if (typeof s !== "number") throw typeError(fn, name, what, size);
    if (!Number.isSafeInteger(s) || s < 1) throw rangeError(fn, name, what, size);
  }
  return [size[0], size[1]];
}

/** Checks `n` per-image (or per-`unit`) parameters, each a finite number within `bounds`. */
export function checkPerImage(
  fn: string,
  name: string,
  values: unknown,
  n: number,
  bounds: NumberBounds = {},
  unit = "image",
): Float32Array {
  const what = `an array of ${n} numbers, one per ${unit}`;
  if (
    values === null || typeof values !== "object" ||
    typeof (values as ArrayLike<number>).length !== "number"
  ) {
    throw typeError(fn, name, what, values);
  }
  const list = values as ArrayLike<number>;
  if (list.length !== n) {
    throw rangeError(fn, name, what, values);
  }
  for (let i = 0; i < n; i++) checkNumber(fn, `${name}[${i}]`, list[i], bounds);
  return Float32Array.from(list);
}

/**
 * Checks jitter strengths; `prefix` names where the user put them (`"recipe.jitter."` for a
 * recipe, `""` for randomColorJitter's own options).
 */
export function checkStrengths(
  fn: string,
  s: ColorJitterStrengths,
  prefix = "",
): Required<ColorJitterStrengths> {
  checkOptions(fn, s, prefix ? prefix.slice(0, -1) : "options");
  return {
    brightness: checkNumber(fn, `${prefix}brightness`, s.brightness, { min: 0 }),
    contrast: checkNumber(fn, `${prefix}contrast`, s.contrast, { min: 0 }),
    saturation: checkNumber(fn, `${prefix}saturation`, s.saturation, { min: 0 }),
    hue: checkNumber(fn, `${prefix}hue`, s.hue, { min: 0, max: 0.5 }),
    brightnessMode: checkOneOf(
      fn,
      `${prefix}brightnessMode`,
      s.brightnessMode ?? "multiplicative",
      ["multiplicative", "additive"] as const,
    ),
  };
}

/** Checks a crop's area range: fractions in (0, 1]. Default `[0.08, 1]`. */
export function checkScale(fn: string, value: unknown, name = "scale"): [number, number] {
  return checkInterval(fn, name, value ?? [0.08, 1], { above: 0, max: 1 });
}

/** Checks a crop's aspect-ratio range: ratios > 0. Default `[3/4, 4/3]`. */
export function checkRatio(fn: string, value: unknown, name = "ratio"): [number, number] {
  return checkInterval(fn, name, value ?? [3 / 4, 4 / 3], { above: 0 });
}

/**
 * Checks a parameter drawn per image: one number (always that value) or a [lo, hi] range, each
 * end within `bounds`. Returns the range.
 */
export function checkValueOrRange(
  fn: string,
  name: string,
  value: unknown,
  bounds: NumberBounds,
): [number, number] {
  if (typeof value === "number") {
    const v = checkNumber(fn, name, value, bounds);
    return [v, v];
  }
  if (!Array.isArray(value)) {
    throw typeError(fn, name, "a number or a [lo, hi] pair of numbers", value);
  }
  return checkInterval(fn, name, value, bounds);
}
