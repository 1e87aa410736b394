import { typeError } from "@selfsup/internal";
import { checkDecodeOptions, decodeChecked, MAX_PIXELS_DEFAULT } from "./_decode.ts";
import { checkName } from "./_validate.ts";

/**
 * The default pixel limit of {@linkcode decodeImage} and the image-folder loaders:
 * 2^25 = 33,554,432 pixels (e.g. 8192 x 4096). An image declaring more is refused before it
 * is decoded; pass `maxPixels` to allow larger ones.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_PIXELS } from "@selfsup/data";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_MAX_PIXELS, 8192 * 4096);
 * ```
 */
export const DEFAULT_MAX_PIXELS: number = MAX_PIXELS_DEFAULT;

/** A decoded image, uint8 HWC row-major. */
export interface DecodedImage {
  /** Pixels, length `height * width * channels`. */
  readonly data: Uint8Array;
  /** Rows. */
  readonly height: number;
  /** Columns. */
  readonly width: number;
  /** 1 (grey) or 3 (RGB). */
  readonly channels: 1 | 3;
}

/** Options of {@linkcode decodeImage}. */
export interface DecodeImageOptions {
  /**
   * Channels of the result: 1 (grey) or 3 (RGB). By default grey images stay grey and colour
   * images stay RGB. Colour becomes grey with the ITU-R BT.601 luma weights
   * (0.299, 0.587, 0.114), as `tf.image.rgbToGrayscale` and PIL do; grey becomes RGB by
   * repeating the channel. Alpha is dropped.
   */
  channels?: 1 | 3;
  /** `[height, width]` to resize to (bilinear, half-pixel centres); default: keep the size. */
  size?: readonly [number, number];
  /** A file name used in error messages (default: "bytes"). */
  name?: string;
  /**
   * The most pixels (`width * height`) an image may declare, checked in its header before
   * anything is decoded (default {@linkcode DEFAULT_MAX_PIXELS}). A resize `size` must fit
   * too. A positive integer.
   */
  maxPixels?: number;
}

/**
 * Decodes a PNG or JPEG file's bytes to uint8 pixels, optionally converting channels and
 * resizing.
 *
 * The format is recognised from the bytes (not the file name). PNG is decoded with the npm
 * package `fast-png` (every bit depth, palettes, alpha) and JPEG with `jpeg-js`; both are pure
 * JavaScript, so this runs in any runtime. Resizing uses TensorFlow.js's
 * `tf.image.resizeBilinear` on the current backend.
 *
 * **Limits.** Hostile files cannot make it use memory or time out of proportion: the size an
 * image declares in its header (PNG IHDR, JPEG frame header) is checked against `maxPixels`
 * before decoding, and a PNG's image data is first inflated as a stream that stops as soon as
 * it exceeds what the header declares (as does an embedded colour profile, at 16 MiB), so a
 * small file cannot inflate to gigabytes. A truncated file is reported as truncated.
 *
 * @param bytes The file's content.
 * @param options Target channels and size, the pixel limit, and a name for error messages.
 * @returns The decoded image.
 * @throws {TypeError} If `bytes` is not a Uint8Array or an option has the wrong type.
 * @throws {RangeError} If the bytes are neither PNG nor JPEG, are truncated or cannot be
 *   decoded, declare more than `maxPixels` pixels, inflate past their declared size, or an
 *   option is out of range; the message names `options.name`.
 *
 * @example Decode a PNG made with fast-png
 * ```ts
 * import { decodeImage } from "@selfsup/data";
 * import { encode } from "fast-png";
 * import assert from "node:assert/strict";
 *
 * const png = encode({ width: 2, height: 1, data: new Uint8Array([0, 200]), channels: 1 });
 * const image = decodeImage(png, { channels: 3 });
 * assert.deepEqual([image.height, image.width, image.channels], [1, 2, 3]);
 * assert.deepEqual([...image.data], [0, 0, 0, 200, 200, 200]);
 * ```
 *
 * @example An image larger than the pixel limit is refused before decoding
 * ```ts
 * import { decodeImage } from "@selfsup/data";
 * import { encode } from "fast-png";
 * import assert from "node:assert/strict";
 *
 * const png = encode({ width: 4, height: 4, data: new Uint8Array(16), channels: 1 });
 * assert.throws(() => decodeImage(png, { maxPixels: 15, name: "a.png" }), {
 *   name: "RangeError",
 *   message: "decodeImage(): a.png must have at most maxPixels = 15 pixels, got 4 x 4 = 16 " +
 *     "(raise the maxPixels option to allow it)",
 * });
 * assert.equal(decodeImage(png, { maxPixels: 16 }).width, 4);
 * ```
 */
export function decodeImage(bytes: Uint8Array, options: DecodeImageOptions = {}): DecodedImage {
  const fn = "decodeImage";
  if (!(bytes instanceof Uint8Array)) throw typeError(fn, "bytes", "a Uint8Array", bytes);
  const settings = checkDecodeOptions(fn, options);
  const what = checkName(fn, "name", options.name) ?? "bytes";
  return decodeChecked(fn, what, bytes, settings);
}
