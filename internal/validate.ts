// Argument validation at the public boundary, with the one message format of the house:
// `fn(): argument must be ..., got ...`. Wrong type or rank -> TypeError; a value out of range
// -> RangeError. `fn` is the public function the user called, `name` the argument they passed.
import * as tf from "@tensorflow/tfjs";

/**
 * A short description of a value for error messages: strings quoted, numbers as written,
 * tensors by dtype and shape, arrays by their items, other objects by their type.
 *
 * @example
 * ```ts
 * import { describe } from "@selfsup/internal";
 * import assert from "node:assert/strict";
 *
 * assert.equal(describe("a"), '"a"');
 * assert.equal(describe([1, 2]), "[1, 2]");
 * ```
 */
export function describe(value: unknown): string {
  if (value instanceof tf.Tensor) {
    return `${article(value.dtype)} ${value.dtype} tensor of shape [${value.shape}]`;
  }
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (typeof value === "bigint") return `${value}n`;
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) {
    return value.length <= 8
      ? `[${value.map(describe).join(", ")}]`
      : `an array of length ${value.length}`;
  }
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  if (typeof value === "function") return "a function";
  return `an object`;
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? "an" : "a";
}

/**
 * The house message: `fn(): name must be what, got <value>`.
 *
 * @example
 * ```ts
 * import { message } from "@selfsup/internal";
 * import assert from "node:assert/strict";
 *
 * assert.equal(message("f", "k", "an integer", 1.5), "f(): k must be an integer, got 1.5");
 * ```
 */
export function message(fn: string, name: string, what: string, got: unknown): string {
  return `${fn}(): ${name} must be ${what}, got ${describe(got)}`;
}

/** A TypeError in the house format (wrong type, rank or dtype). */
export function typeError(fn: string, name: string, what: string, got: unknown): TypeError {
  return new TypeError(message(fn, name, what, got));
}

/** A RangeError in the house format (a value out of its range). */
export function rangeError(fn: string, name: string, what: string, got: unknown): RangeError {
  return new RangeError(message(fn, name, what, got));
}

/** Bounds of a numeric check; exclusive bounds with `above` / `below`. */
export interface NumberBounds {
  /** Smallest allowed value (inclusive). */
  min?: number;
  /** Largest allowed value (inclusive). */
  max?: number;
  /** The value must be greater than this. */
  above?: number;
  /** The value must be less than this. */
  below?: number;
}

function boundsText(b: NumberBounds): string {
  const parts: string[] = [];
  if (b.min !== undefined && b.max !== undefined) parts.push(`in [${b.min}, ${b.max}]`);
  else if (b.min !== undefined) parts.push(`>= ${b.min}`);
  else if (b.max !== undefined) parts.push(`<= ${b.max}`);
  if (b.above !== undefined) parts.push(`> ${b.above}`);
  if (b.below !== undefined) parts.push(`< ${b.below}`);
  return parts.join(" and ");
}

function inBounds(value: number, b: NumberBounds): boolean {
  return (b.min === undefined || value >= b.min) && (b.max === undefined || value <= b.max) &&
    (b.above === undefined || value > b.above) && (b.below === undefined || value < b.below);
}

/**
 * Checks a finite number within optional bounds and returns it.
 *
 * @throws {TypeError} When `value` is not a number.
 * @throws {RangeError} When it is NaN, infinite or out of bounds.
 *
 * @example
 * ```ts
 * import { checkNumber } from "@selfsup/internal";
 * import assert from "node:assert/strict";
 *
 * assert.equal(checkNumber("f", "temperature", 0.5, { above: 0 }), 0.5);
 * assert.throws(() => checkNumber("f", "temperature", 0, { above: 0 }), {
 *   message: "f(): temperature must be a finite number > 0, got 0",
 * });
 * ```
 */
export function checkNumber(
  fn: string,
  name: string,
  value: unknown,
  bounds: NumberBounds = {},
): number {
  const text = ["a finite number", boundsText(bounds)].filter(Boolean).join(" ");
  if (typeof value !== "number") throw typeError(fn, name, text, value);
  if (!Number.isFinite(value) || !inBounds(value, bounds)) throw rangeError(fn, name, text, value);
  return value;
}

/**
 * Checks a safe integer within optional bounds and returns it.
 *
 * @example
 * ```ts
 * import { checkInteger } from "@selfsup/internal";
 * import assert from "node:assert/strict";
 *
 * assert.equal(checkInteger("f", "k", 3, { min: 1 }), 3);
 * assert.throws(() => checkInteger("f", "k", "3"), { name: "TypeError" });
 * ```
 */
export function checkInteger(
  fn: string,
  name: string,
  value: unknown,
  bounds: NumberBounds = {},
): number {
  const text = ["an integer", boundsText(bounds)].filter(Boolean).join(" ");
  if (typeof value !== "number") throw typeError(fn, name, text, value);
  if (!Number.isSafeInteger(value) || !inBounds(value, bounds)) {
    throw rangeError(fn, name, text, value);
  }
  return value;
}

/**
 * Checks a seed: a safe integer (any sign; seeds are derived before they reach tfjs).
 *
 * @example
 * ```ts
 * import { checkSeed } from "@selfsup/internal";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => checkSeed("f", 0.5), { message: "f(): seed must be a safe integer, got 0.5" });
 * ```
 */
export function checkSeed(fn: string, value: unknown, name = "seed"): number {
  if (typeof value !== "number") throw typeError(fn, name, "a safe integer", value);
  if (!Number.isSafeInteger(value)) throw rangeError(fn, name, "a safe integer", value);
  return value;
}

/** Checks a probability (or any fraction) in [0, 1]. */
export function checkProbability(fn: string, name: string, value: unknown): number {
  return checkNumber(fn, name, value, { min: 0, max: 1 });
}

/** Checks a boolean. */
export function checkBoolean(fn: string, name: string, value: unknown): boolean {
  if (typeof value !== "boolean") throw typeError(fn, name, "a boolean", value);
  return value;
}

/**
 * Checks an options object (not null, not an array) and returns it.
 *
 * @example
 * ```ts
 * import { checkOptions } from "@selfsup/internal";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => checkOptions("f", 3), { message: "f(): options must be an object, got 3" });
 * ```
 */
export function checkOptions<T>(fn: string, value: T, name = "options"): T {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw typeError(fn, name, "an object", value);
  }
  return value;
}

/** Checks that `value` is one of `allowed` (compared with ===). */
export function checkOneOf<T>(fn: string, name: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    throw rangeError(fn, name, `one of ${allowed.map(describe).join(", ")}`, value);
  }
  return value as T;
}

/** What {@linkcode checkTensor} requires; each field optional. */
export interface TensorSpec {
  /** Required rank. */
  rank?: number;
  /** Required dtype(s). */
  dtype?: tf.DataType | readonly tf.DataType[];
  /** The layout, for messages, e.g. "[N, H, W, C]". */
  layout?: string;
}

/**
 * Checks that `value` is a tf.Tensor of the given rank and dtype (TypeError otherwise).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { checkTensor } from "@selfsup/internal";
 * import assert from "node:assert/strict";
 *
 * const x = tf.zeros([2, 3]);
 * assert.throws(() => checkTensor("f", "images", x, { rank: 4, layout: "[N, H, W, C]" }), {
 *   name: "TypeError",
 *   message: "f(): images must be a rank-4 tensor [N, H, W, C], got a float32 tensor of shape [2,3]",
 * });
 * x.dispose();
 * ```
 */
export function checkTensor(
  fn: string,
  name: string,
  value: unknown,
  spec: TensorSpec = {},
): tf.Tensor {
  const layout = spec.layout ? ` ${spec.layout}` : "";
  const ranked = spec.rank === undefined ? "a tensor" : `a rank-${spec.rank} tensor`;
  if (!(value instanceof tf.Tensor)) throw typeError(fn, name, `${ranked}${layout}`, value);
  if (value.isDisposed) throw typeError(fn, name, "a tensor that is not disposed", value);
  if (spec.rank !== undefined && value.rank !== spec.rank) {
    throw typeError(fn, name, `${ranked}${layout}`, value);
  }
  if (spec.dtype !== undefined) {
    const dtypes = typeof spec.dtype === "string" ? [spec.dtype] : spec.dtype;
    if (!dtypes.includes(value.dtype)) {
      throw typeError(fn, name, `of dtype ${dtypes.join(" or ")}`, value);
    }
  }
  return value;
}
