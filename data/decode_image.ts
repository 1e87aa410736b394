import * as tf from "@tensorflow/tfjs";
import { convertIndexedToRgb, decode as decodePng, type DecodedPng } from "fast-png";
import jpeg from "jpeg-js";

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
  /** A file name used in error messages. */
  name?: string;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Decodes a PNG or JPEG file's bytes to uint8 pixels, optionally converting channels and
 * resizing.
 *
 * The format is recognised from the bytes (not the file name). PNG is decoded with the npm
 * package `fast-png` (every bit depth, palettes, alpha) and JPEG with `jpeg-js`; both are pure
 * JavaScript, so this runs in any runtime. Resizing uses TensorFlow.js's
 * `tf.image.resizeBilinear` on the current backend.
 *
 * @param bytes The file's content.
 * @param options Target channels and size, and a name for error messages.
 * @returns The decoded image.
 * @throws {RangeError} If the bytes are neither PNG nor JPEG, cannot be decoded, or the
 *   options are invalid; the message names `options.name`.
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
 */
export function decodeImage(bytes: Uint8Array, options: DecodeImageOptions = {}): DecodedImage {
  const { channels, size, name = "image" } = options;
  if (channels !== undefined && channels !== 1 && channels !== 3) {
    throw new RangeError(`channels must be 1 or 3, got ${channels}`);
  }
  if (
    size !== undefined &&
    !(size.length === 2 && size.every((d) => Number.isInteger(d) && d > 0))
  ) {
    throw new RangeError(
      `size must be [height, width] with positive integers, got ${JSON.stringify(size)}`,
    );
  }
  let image: DecodedImage;
  try {
    image = decodeByFormat(bytes);
  } catch (error) {
    throw new RangeError(`${name}: cannot decode: ${(error as Error).message}`, { cause: error });
  }
  if (channels !== undefined && channels !== image.channels) image = convert(image, channels);
  if (size !== undefined && (size[0] !== image.height || size[1] !== image.width)) {
    image = resize(image, size);
  }
  return image;
}

function decodeByFormat(bytes: Uint8Array): DecodedImage {
  if (isPng(bytes)) return fromPng(decodePng(bytes));
  if (isJpeg(bytes)) return fromJpeg(bytes);
  throw new RangeError("not a PNG or JPEG file (unrecognised signature)");
}

function isPng(bytes: Uint8Array): boolean {
  return PNG_SIGNATURE.every((b, i) => bytes[i] === b);
}

function isJpeg(bytes: Uint8Array): boolean {
  return bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

function fromPng(png: DecodedPng): DecodedImage {
  const { width, height } = png;
  let samples: Uint8Array;
  let inChannels = png.channels;
  if (png.palette) {
    samples = convertIndexedToRgb(png);
    inChannels = png.palette[0].length;
  } else if (png.depth === 16) {
    samples = Uint8Array.from(png.data as Uint16Array, (v) => v >> 8);
  } else if (png.depth < 8) {
    samples = unpackBits(png);
  } else {
    samples = png.data as Uint8Array;
  }
  // Grey (1), grey + alpha (2), RGB (3), RGBA (4): keep colour, drop alpha.
  const outChannels = inChannels >= 3 ? 3 : 1;
  const data = new Uint8Array(width * height * outChannels);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < outChannels; c++) data[p * outChannels + c] = samples[p * inChannels + c];
  }
  return { data, height, width, channels: outChannels };
}

// Grey PNGs of 1, 2 or 4 bits per sample come packed, each row padded to a whole byte.
function unpackBits(png: DecodedPng): Uint8Array {
  const { width, height, depth } = png;
  const rowBytes = Math.ceil((width * depth) / 8);
  const max = (1 << depth) - 1;
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const bit = x * depth;
      const byte = png.data[y * rowBytes + (bit >> 3)];
      const value = (byte >> (8 - depth - (bit & 7))) & max;
      out[y * width + x] = Math.round((value * 255) / max);
    }
  }
  return out;
}

function fromJpeg(bytes: Uint8Array): DecodedImage {
  // jpeg-js always returns RGB, also for grey JPEGs (R = G = B).
  const { width, height, data } = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false });
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    height,
    width,
    channels: 3,
  };
}

function convert(image: DecodedImage, channels: 1 | 3): DecodedImage {
  const pixels = image.height * image.width;
  const data = new Uint8Array(pixels * channels);
  const src = image.data;
  for (let p = 0; p < pixels; p++) {
    if (channels === 1) {
      data[p] = Math.round(0.299 * src[3 * p] + 0.587 * src[3 * p + 1] + 0.114 * src[3 * p + 2]);
    } else {
      data[3 * p] = data[3 * p + 1] = data[3 * p + 2] = src[p];
    }
  }
  return { data, height: image.height, width: image.width, channels };
}

function resize(image: DecodedImage, size: readonly [number, number]): DecodedImage {
  const data = tf.tidy(() => {
    const x = tf.tensor3d(image.data, [image.height, image.width, image.channels], "int32");
    const resized = tf.image.resizeBilinear(x, [size[0], size[1]], false, true);
    return resized.round().clipByValue(0, 255).dataSync();
  });
  return { data: Uint8Array.from(data), height: size[0], width: size[1], channels: image.channels };
}
