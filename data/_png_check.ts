// Checks a PNG before fast-png decodes it: the chunk layout (a truncated file is named as
// such), the declared size against the pixel limit, and the image data inflated as a stream
// with a cap at the size the header declares. fast-png inflates whatever the file holds:
// 259 KB of IDAT data declaring a 1 x 1 image took 5 s and 765 MB before this check.
import { Unzlib } from "fflate";

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
// Channels of each PNG colour type: grey, RGB, palette index, grey + alpha, RGBA.
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
// Adam7 passes: x start, y start, x step, y step.
const ADAM7: readonly (readonly number[])[] = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];
// An embedded colour profile (iCCP) is inflated whole by fast-png: cap it too.
const MAX_PROFILE_BYTES = 16 * 2 ** 20;
// Input slice of the capped inflate: deflate expands at most about 1032:1, so one slice
// inflates to at most about 1 MiB past the cap.
const SLICE = 1024;

/** True when `bytes` start with the PNG signature. */
export function isPng(bytes: Uint8Array): boolean {
  return PNG_SIGNATURE.every((b, i) => bytes[i] === b);
}

/** The size a PNG's header declares. */
export interface PngSize {
  readonly width: number;
  readonly height: number;
}

/**
 * Checks the PNG `bytes` (signature already seen) before decoding.
 *
 * @param fn The public function, `what` the data as the user knows it, for messages.
 * @throws {RangeError} If a chunk runs past the end of the data or there is no IEND chunk
 *   (truncated), the header is malformed, `width * height > maxPixels`, or the image data or
 *   colour profile inflates to more (or, for the image data, fewer) bytes than declared.
 */
export function checkPng(
  fn: string,
  what: string,
  bytes: Uint8Array,
  maxPixels: number,
): PngSize {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const truncated = (where: string) =>
    new RangeError(
      `${fn}(): ${what} must be a complete PNG file, got one that ends ${where} ` +
        `(truncated: ${bytes.length} bytes)`,
    );
  let offset = 8;
  let size: PngSize | undefined;
  let expected = 0;
  const data: Uint8Array[] = [];
  for (;;) {
    if (offset + 8 > bytes.length) throw truncated("before its IEND chunk");
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    const body = offset + 8;
    if (length > 2 ** 31 - 1 || body + length + 4 > bytes.length) {
      throw truncated(`inside its ${JSON.stringify(type)} chunk`);
    }
    if (size === undefined) {
      if (type !== "IHDR" || length !== 13) {
        throw new RangeError(
          `${fn}(): ${what} must start with a 13-byte PNG IHDR chunk, got ` +
            `${JSON.stringify(type)} of ${length} bytes`,
        );
      }
      const width = view.getUint32(body);
      const height = view.getUint32(body + 4);
      const depth = bytes[body + 8];
      const channels = CHANNELS[bytes[body + 9]];
      if (width === 0 || height === 0 || channels === undefined) {
        throw new RangeError(
          `${fn}(): ${what} must have a PNG header with a positive size and a known colour ` +
            `type, got ${width} x ${height}, colour type ${bytes[body + 9]}`,
        );
      }
      checkPixels(fn, what, width, height, maxPixels);
      size = { width, height };
      expected = rawSize(width, height, channels * depth, bytes[body + 12] === 1);
    } else if (type === "IDAT") {
      data.push(bytes.subarray(body, body + length));
    } else if (type === "iCCP") {
      // Profile name (1-79 bytes), a zero, the compression method, then the zlib data.
      const chunk = bytes.subarray(body, body + length);
      const nul = chunk.indexOf(0);
      if (nul >= 0 && nul + 2 <= chunk.length) {
        inflateCapped(fn, what, [chunk.subarray(nul + 2)], MAX_PROFILE_BYTES, "colour profile");
      }
    } else if (type === "IEND") {
      break;
    }
    offset = body + length + 4;
  }
  const got = inflateCapped(fn, what, data, expected, "image data");
  if (got !== expected) {
    throw new RangeError(
      `${fn}(): ${what} must hold ${expected} bytes of image data for its PNG header, got ` +
        `${got} (truncated or corrupt)`,
    );
  }
  return size!;
}

/** The pixel-limit error, one message for PNG and JPEG. */
export function checkPixels(
  fn: string,
  what: string,
  width: number,
  height: number,
  maxPixels: number,
): void {
  if (width * height > maxPixels) {
    throw new RangeError(
      `${fn}(): ${what} must have at most maxPixels = ${maxPixels} pixels, got ` +
        `${width} x ${height} = ${width * height} (raise the maxPixels option to allow it)`,
    );
  }
}

// Filtered scanlines: one filter byte per row plus the row's packed samples, per pass.
function rawSize(width: number, height: number, bitsPerPixel: number, adam7: boolean): number {
  const rows = (w: number, h: number) =>
    w === 0 || h === 0 ? 0 : h * (1 + Math.ceil((w * bitsPerPixel) / 8));
  if (!adam7) return rows(width, height);
  let total = 0;
  for (const [x0, y0, dx, dy] of ADAM7) {
    total += rows(
      Math.ceil(Math.max(0, width - x0) / dx),
      Math.ceil(Math.max(0, height - y0) / dy),
    );
  }
  return total;
}

// Inflates zlib data given in parts, counting the output and stopping past `cap`; returns
// the count. The output itself is dropped: this only measures.
function inflateCapped(
  fn: string,
  what: string,
  parts: readonly Uint8Array[],
  cap: number,
  label: string,
): number {
  let total = 0;
  const over = new RangeError(
    `${fn}(): ${what} must hold at most ${cap} bytes of ${label} once inflated, got more ` +
      `(a decompression bomb?)`,
  );
  const inflater = new Unzlib((chunk) => {
    total += chunk.length;
    if (total > cap) throw over;
  });
  try {
    for (const part of parts) {
      for (let at = 0; at < part.length; at += SLICE) {
        inflater.push(part.subarray(at, Math.min(at + SLICE, part.length)), false);
      }
    }
    inflater.push(new Uint8Array(0), true);
  } catch (error) {
    if (error === over) throw error;
    throw new RangeError(
      `${fn}(): ${what} must hold valid compressed ${label}, got data that does not inflate ` +
        `(${(error as Error).message || "corrupt"})`,
      { cause: error },
    );
  }
  return total;
}
