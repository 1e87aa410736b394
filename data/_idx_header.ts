// The IDX header, read on its own so a gzip file's declared size is known after its first
// decompressed bytes (the cap of the streaming inflate) and checked before anything is
// allocated for the values.
import { rangeError, typeError } from "@selfsup/internal";
import type { IdxArray } from "./idx.ts";

/** The IDX type code of uint8, the only type supported. */
export const UINT8 = 0x08;

const TYPE_NAMES: Record<number, string> = {
  0x08: "uint8",
  0x09: "int8",
  0x0b: "int16",
  0x0c: "int32",
  0x0d: "float32",
  0x0e: "float64",
};

/** A parsed IDX header. */
export interface IdxHeader {
  /** Bytes before the values: 4 + 4 * rank. */
  readonly headerLength: number;
  /** Dimensions, outermost first. */
  readonly shape: readonly number[];
  /** Bytes of the whole file: header plus the product of the shape. */
  readonly totalLength: number;
}

/**
 * Reads the header at the start of `bytes`, or returns undefined when `bytes` is a prefix too
 * short to hold it (more may come from a stream; `complete` says no more will).
 *
 * @param fn The public function, for messages.
 * @param what The data as the user knows it, e.g. `IDX file "x.gz"`.
 * @throws {RangeError} On a wrong magic number, an unsupported type or no dimension, or a
 *   header cut short when `complete`.
 */
export function readIdxHeader(
  fn: string,
  what: string,
  bytes: Uint8Array,
  complete: boolean,
): IdxHeader | undefined {
  const prefix = bytes.subarray(0, 4);
  if ((prefix.length >= 1 && bytes[0] !== 0) || (prefix.length >= 2 && bytes[1] !== 0)) {
    throw new RangeError(
      `${fn}(): ${what} must start with the IDX magic number 00 00, got "${hex(prefix)}"`,
    );
  }
  if (bytes.length < 4) {
    if (!complete) return undefined;
    throw new RangeError(
      `${fn}(): ${what} must start with the IDX magic number 00 00, got "${hex(prefix)}"`,
    );
  }
  const type = bytes[2];
  if (type !== UINT8) {
    throw new RangeError(
      `${fn}(): ${what} must hold IDX type 0x08 (uint8), got 0x${type.toString(16)} ` +
        `(${TYPE_NAMES[type] ?? "unknown"})`,
    );
  }
  const rank = bytes[3];
  const headerLength = 4 + 4 * rank;
  if (rank === 0) {
    throw new RangeError(`${fn}(): ${what} must declare at least one IDX dimension, got 0`);
  }
  if (bytes.length < headerLength) {
    if (!complete) return undefined;
    throw new RangeError(
      `${fn}(): ${what} must hold an IDX header of ${headerLength} bytes for its ${rank} ` +
        `dimensions, got ${bytes.length} bytes`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) shape.push(view.getUint32(4 + 4 * i, false));
  // A product past 2^53 is not exact, but it is then far beyond any file that can exist, so
  // the length check still fails, as it must.
  const totalLength = headerLength + shape.reduce((a, b) => a * b, 1);
  return { headerLength, shape, totalLength };
}

/** The length error: the data does not hold what its header declares. */
export function lengthError(
  fn: string,
  what: string,
  header: IdxHeader,
  got: string,
): RangeError {
  // Exact even past 2^53, where the number in the header only compares.
  const exact = BigInt(header.headerLength) + header.shape.reduce((a, b) => a * BigInt(b), 1n);
  return new RangeError(
    `${fn}(): ${what} must be ${exact} bytes for its IDX shape ` +
      `[${header.shape.join(", ")}], got ${got} (truncated or corrupt)`,
  );
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(" ");
}

/** `decodeIdx()` with `fn` and `what` naming the public function and the file in messages. */
export function decodeIdxBytes(fn: string, what: string, bytes: Uint8Array): IdxArray {
  const header = readIdxHeader(fn, what, bytes, true)!;
  if (bytes.length !== header.totalLength) {
    throw lengthError(fn, what, header, `${bytes.length}`);
  }
  return { data: bytes.subarray(header.headerLength), shape: header.shape };
}

/** `encodeIdx()` naming the public function `fn` and its arguments in messages. */
export function encodeIdxChecked(
  fn: string,
  dataName: string,
  shapeName: string,
  data: unknown,
  shape: unknown,
): Uint8Array {
  if (!(data instanceof Uint8Array)) throw typeError(fn, dataName, "a Uint8Array", data);
  const what = "1 to 255 integer dimensions in [0, 2^32)";
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === "number")) {
    throw typeError(fn, shapeName, what, shape);
  }
  const valid = shape.length >= 1 && shape.length <= 255 &&
    shape.every((d) => Number.isInteger(d) && d >= 0 && d < 2 ** 32);
  if (!valid) throw rangeError(fn, shapeName, what, shape);
  const size = shape.reduce((a, b) => a * b, 1);
  if (data.length !== size) {
    const dims = shape.join(", ");
    throw new RangeError(
      `${fn}(): ${dataName}.length must equal the product of ${shapeName} [${dims}] = ` +
        `${size}, got ${data.length}`,
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
