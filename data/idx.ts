/** An n-dimensional uint8 array as stored in an IDX file. */
export interface IdxArray {
  /** Values in row-major order. */
  readonly data: Uint8Array;
  /** Dimensions, outermost first. */
  readonly shape: readonly number[];
}

const UINT8 = 0x08;
const TYPE_NAMES: Record<number, string> = {
  0x08: "uint8",
  0x09: "int8",
  0x0b: "int16",
  0x0c: "int32",
  0x0d: "float32",
  0x0e: "float64",
};

/**
 * Decodes the IDX format of MNIST, Fashion-MNIST and KMNIST (`train-images-idx3-ubyte`,
 * `train-labels-idx1-ubyte`, ...) from bytes that are already decompressed.
 *
 * Layout: two zero bytes, a type code (0x08 = uint8), the number of dimensions, each
 * dimension as a big-endian uint32, then the values row-major. Only uint8 is supported,
 * which is what all of these datasets use.
 *
 * @param bytes The file's content.
 * @param name A file name used in error messages.
 * @returns The values (a view into `bytes`, not a copy) and their shape.
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
export function decodeIdx(bytes: Uint8Array, name = "IDX data"): IdxArray {
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    const head = [...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, "0")).join(" ");
    throw new RangeError(
      `${name}: not an IDX file, its magic number must start with 00 00, got "${head}"`,
    );
  }
  const type = bytes[2];
  if (type !== UINT8) {
    throw new RangeError(
      `${name}: IDX type 0x${type.toString(16)} (${TYPE_NAMES[type] ?? "unknown"}) is not ` +
        `supported, only 0x08 (uint8)`,
    );
  }
  const rank = bytes[3];
  const headerLength = 4 + 4 * rank;
  if (rank === 0 || bytes.length < headerLength) {
    throw new RangeError(
      `${name}: IDX header must hold at least one dimension, got ${rank} dimensions in ` +
        `${bytes.length} bytes`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) shape.push(view.getUint32(4 + 4 * i, false));
  const size = shape.reduce((a, b) => a * b, 1);
  if (bytes.length !== headerLength + size) {
    throw new RangeError(
      `${name}: IDX shape [${shape}] needs ${headerLength + size} bytes, the file has ` +
        `${bytes.length} (truncated or corrupt)`,
    );
  }
  return { data: bytes.subarray(headerLength), shape };
}

/**
 * Encodes a uint8 array of the given shape in the IDX format (uncompressed).
 *
 * @param data Values in row-major order.
 * @param shape 1 to 255 dimensions, each an integer in [0, 2^32).
 * @returns The file's bytes.
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
  const valid = shape.length >= 1 && shape.length <= 255 &&
    shape.every((d) => Number.isInteger(d) && d >= 0 && d < 2 ** 32);
  if (!valid) {
    throw new RangeError(
      `shape must have 1 to 255 integer dimensions in [0, 2^32), got ${JSON.stringify(shape)}`,
    );
  }
  const size = shape.reduce((a, b) => a * b, 1);
  if (data.length !== size) {
    throw new RangeError(
      `data.length must equal the product of shape [${shape}] = ${size}, got ${data.length}`,
    );
  }
  const headerLength = 4 + 4 * shape.length;
  const bytes = new Uint8Array(headerLength + size);
  const view = new DataView(bytes.buffer);
  bytes[2] = UINT8;
  bytes[3] = shape.length;
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  bytes.set(data, headerLength);
  return bytes;
}
