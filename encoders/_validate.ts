import { rangeError, typeError } from "@selfsup/internal";

const SHAPE = "[height, width, channels] of integers >= 1";

/**
 * Checks the `inputShape` option of the builder `fn`: `[height, width, channels]` of positive
 * integers. Not an array of three numbers -> TypeError; a size out of range -> RangeError.
 */
export function checkInputShape(fn: string, value: unknown): [number, number, number] {
  if (
    !Array.isArray(value) || value.length !== 3 || !value.every((d) => typeof d === "number")
  ) {
    throw typeError(fn, "inputShape", SHAPE, value);
  }
  if (!value.every((d) => Number.isSafeInteger(d) && d >= 1)) {
    throw rangeError(fn, "inputShape", SHAPE, value);
  }
  return value as [number, number, number];
}
