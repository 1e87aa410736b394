import { typeError } from "@selfsup/internal";
import { checkName } from "./_validate.ts";
import { decodeIdxBytes, encodeIdxChecked } from "./_idx_header.ts";

/** An n-dimensional uint8 array as stored in an IDX file. */
export interface IdxArray {
  /** Values in row-major order. */
  readonly data: Uint8Array;
  /** Dimensions, outermost first. */
  readonly shape: readonly number[];
}

/**
 * Decodes the IDX format of MNIST, Fashion-MNIST and KMNIST (`train-images-idx3-ubyte`,
 * `train-labels-idx1-ubyte`, ...) from bytes that are already decompressed.
 *
 * Layout: two zero bytes, a type code (0x08 = uint8), the number of dimensions, each
 * dimension as a big-endian uint32, then the values row-major. Only uint8 is supported,
 * which is what all of these datasets use.
 *
 * @param bytes The file's content.
 * @param name A file name used in error messages (default: "bytes").
 * @returns The values (a view into `bytes`, not a copy) and their shape.
 * @throws {TypeError} If `bytes` is not a Uint8Array or `name` not a string.
 * @throws {RangeError} On a wrong magic number, an unsupported type, or a length that does
 *   not match the header; the message names `name`.
 *
 * @example Round trip
 * ```ts
 * import { decodeIdx, encodeIdx } from "@selfsup/data";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeIdx(new Uint8Array([1, 2, 3, 4, 5, 6]), [2, 3]);
 * const { data, shape } = decodeIdx(bytes);
 * assert.deepEqual(shape, [2, 3]);
 * assert.deepEqual([...data], [1, 2, 3, 4, 5, 6]);
 * ```
 */
export function decodeIdx(bytes: Uint8Array, name?: string): IdxArray {
  const fn = "decodeIdx";
  if (!(bytes instanceof Uint8Array)) throw typeError(fn, "bytes", "a Uint8Array", bytes);
  const what = checkName(fn, "name", name) ?? "bytes";
  return decodeIdxBytes(fn, what, bytes);
}

/**
 * Encodes a uint8 array of the given shape in the IDX format (uncompressed).
 *
 * @param data Values in row-major order.
 * @param shape 1 to 255 dimensions, each an integer in [0, 2^32).
 * @returns The file's bytes.
 * @throws {TypeError} If `data` is not a Uint8Array or `shape` not an array of numbers.
 * @throws {RangeError} If the shape is invalid or does not match `data.length`.
 *
 * @example Labels file of three labels
 * ```ts
 * import { encodeIdx } from "@selfsup/data";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeIdx(new Uint8Array([7, 2, 1]), [3]);
 * assert.deepEqual([...bytes], [0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1]);
 * ```
 */
export function encodeIdx(data: Uint8Array, shape: readonly number[]): Uint8Array {
  return encodeIdxChecked("encodeIdx", "data", "shape", data, shape);
}
