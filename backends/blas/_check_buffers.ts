/**
 * Size checks before native calls: a native routine trusts its dimensions, so an array shorter
 * than they address would be read or written past its end inside the runtime's heap. Each check
 * is O(1) and throws a `RangeError` (a `TypeError` for a wrong array type) in the house format
 * instead.
 *
 * @module
 */
import { rangeError, typeError } from "@selfsup/internal";

/** Largest dimension a 32-bit BLAS / oneDNN integer argument takes. */
const MAX_DIMENSION = 2 ** 31 - 1;

/** Checks a dimension: an integer in [0, 2^31 - 1]. */
export function checkDimension(fn: string, name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > MAX_DIMENSION) {
    throw rangeError(fn, name, `an integer in [0, ${MAX_DIMENSION}]`, value);
  }
}

/** Checks that `array` is a Float32Array of at least `length` elements. */
export function checkFloats(fn: string, name: string, array: unknown, length: number): void {
  if (!(array instanceof Float32Array)) throw typeError(fn, name, "a Float32Array", array);
  if (array.length < length) {
    throw rangeError(
      fn,
      name,
      `a Float32Array of at least ${length} elements`,
      `${array.length} elements`,
    );
  }
}

/**
 * Checks a row-major `rows` x `cols` matrix stored with leading dimension `ld` in `array`:
 * `ld >= max(1, cols)`, and the array holds `(rows - 1) * ld + cols` elements (none when the
 * matrix is empty).
 */
export function checkMatrix(
  fn: string,
  name: string,
  array: unknown,
  rows: number,
  cols: number,
  ld: number,
): void {
  const least = Math.max(1, cols);
  if (!Number.isInteger(ld) || ld < least || ld > MAX_DIMENSION) {
    throw rangeError(fn, `the leading dimension of ${name}`, `an integer >= ${least}`, ld);
  }
  checkFloats(fn, name, array, rows === 0 || cols === 0 ? 0 : (rows - 1) * ld + cols);
}
