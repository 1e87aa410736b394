// Checks at the public boundary: each throws a RangeError / TypeError that names the argument,
// the value and what is allowed.
import * as tf from "@tensorflow/tfjs";
import type { ColorJitterStrengths } from "./color_jitter.ts";

/** Checks that `images` is a float32 [N, H, W, C] tensor with N, H, W >= 1 and C = 1 or 3. */
export function checkImages(images: unknown, where: string): asserts images is tf.Tensor4D {
  if (!(images instanceof tf.Tensor)) {
    throw new TypeError(`${where}: images must be a tf.Tensor, got ${describe(images)}`);
  }
  if (images.rank !== 4) {
    throw new RangeError(
      `${where}: images must have rank 4 [N, H, W, C], got rank ${images.rank} ` +
        `(shape [${images.shape}])`,
    );
  }
  if (images.dtype !== "float32") {
    throw new TypeError(`${where}: images must be float32 in [0, 1], got dtype ${images.dtype}`);
  }
  const [n, h, w, c] = images.shape;
  if (n < 1 || h < 1 || w < 1) {
    throw new RangeError(`${where}: images must have N, H, W >= 1, got shape [${images.shape}]`);
  }
  if (c !== 1 && c !== 3) {
    throw new RangeError(`${where}: images must have 1 or 3 channels, got ${c}`);
  }
}

/**
 * Checks that every value of `images` lies in [0, 1] (NaN fails). Reads back two scalars, so
 * it is called once per public call, not inside the composed presets.
 */
export function checkUnitRange(images: tf.Tensor4D, where: string): void {
  const [lo, hi] = tf.tidy(() => tf.stack([images.min(), images.max()]).dataSync());
  if (!(lo >= 0 && hi <= 1)) {
    throw new RangeError(
      `${where}: images must have values in [0, 1], got values in [${lo}, ${hi}]`,
    );
  }
}

/** Reads `options.checkValues` (default true); a non-boolean is a TypeError. */
export function wantsValueCheck(options: { checkValues?: unknown }, where: string): boolean {
  const value = options.checkValues ?? true;
  if (typeof value !== "boolean") {
    throw new TypeError(`${where}: checkValues must be a boolean, got ${describe(value)}`);
  }
  return value;
}

/** Checks that a seed is a safe integer. */
export function checkSeed(seed: unknown, where: string): asserts seed is number {
  if (typeof seed !== "number") {
    throw new TypeError(`${where}: seed must be an integer, got ${describe(seed)}`);
  }
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`${where}: seed must be a safe integer, got ${seed}`);
  }
}

/** Checks that a probability is a number in [0, 1]. */
export function checkProbability(p: unknown, name: string, where: string): number {
  return checkNumber(p, name, where, 0, 1);
}

/** Checks that `value` is a finite number in [min, max]. */
export function checkNumber(
  value: unknown,
  name: string,
  where: string,
  min = -Infinity,
  max = Infinity,
): number {
  if (typeof value !== "number") {
    throw new TypeError(`${where}: ${name} must be a number, got ${describe(value)}`);
  }
  if (!(Number.isFinite(value) && value >= min && value <= max)) {
    throw new RangeError(`${where}: ${name} must be in [${min}, ${max}], got ${value}`);
  }
  return value;
}

/** Checks a [lo, hi] pair with min <= lo <= hi <= max (lo > 0 when `positive`). */
export function checkInterval(
  value: unknown,
  name: string,
  where: string,
  min: number,
  max: number,
  positive = false,
): [number, number] {
  if (!Array.isArray(value) || value.length !== 2) {
    throw new TypeError(`${where}: ${name} must be a [lo, hi] pair, got ${describe(value)}`);
  }
  const [lo, hi] = value;
  checkNumber(lo, `${name}[0]`, where, min, max);
  checkNumber(hi, `${name}[1]`, where, min, max);
  if (lo > hi) {
    throw new RangeError(`${where}: ${name} must have lo <= hi, got [${lo}, ${hi}]`);
  }
  if (positive && lo <= 0) {
    throw new RangeError(`${where}: ${name} must be > 0, got [${lo}, ${hi}]`);
  }
  return [lo, hi];
}

/** Resolves an output size (one integer for a square, or [height, width]) to [height, width]. */
export function checkSize(size: unknown, where: string): [number, number] {
  const pair = typeof size === "number" ? [size, size] : size;
  if (!Array.isArray(pair) || pair.length !== 2) {
    throw new TypeError(
      `${where}: size must be an integer or an [height, width] pair, got ${describe(size)}`,
    );
  }
  for (const s of pair) {
    if (!Number.isInteger(s) || s < 1) {
      throw new RangeError(`${where}: size must be integers >= 1, got ${describe(size)}`);
    }
  }
  return [pair[0], pair[1]];
}

/** Checks per-image (or per-`unit`) parameters: `n` finite numbers in [min, max]. */
export function checkPerImage(
  values: unknown,
  n: number,
  name: string,
  where: string,
  min = -Infinity,
  max = Infinity,
  unit = "image",
): Float32Array {
  if (
    values === null || typeof values !== "object" ||
    typeof (values as ArrayLike<number>).length !== "number"
  ) {
    throw new TypeError(
      `${where}: ${name} must be an array of ${n} numbers, got ${describe(values)}`,
    );
  }
  const list = values as ArrayLike<number>;
  if (list.length !== n) {
    throw new RangeError(
      `${where}: ${name} must have one value per ${unit} (${n}), got ${list.length}`,
    );
  }
  for (let i = 0; i < n; i++) checkNumber(list[i], `${name}[${i}]`, where, min, max);
  return Float32Array.from(list);
}

function describe(value: unknown): string {
  if (value instanceof tf.Tensor) return `a tensor of shape [${value.shape}]`;
  if (Array.isArray(value)) return `[${value.join(", ")}]`;
  return typeof value === "string" ? `"${value}"` : String(value);
}

/** Validates jitter strengths (shared with the presets). */
export function checkStrengths(s: ColorJitterStrengths, where: string): ColorJitterStrengths {
  checkNumber(s.brightness, "brightness", where, 0);
  checkNumber(s.contrast, "contrast", where, 0);
  checkNumber(s.saturation, "saturation", where, 0);
  checkNumber(s.hue, "hue", where, 0, 0.5);
  const mode = s.brightnessMode ?? "multiplicative";
  if (mode !== "multiplicative" && mode !== "additive") {
    throw new RangeError(
      `${where}: brightnessMode must be "multiplicative" or "additive", got ${mode}`,
    );
  }
  return { ...s, brightnessMode: mode };
}
