// The image decoder behind `decodeImage()` and the image-folder loaders, with `fn` and
// `what` naming the public function and the image in messages.
import * as tf from "@tensorflow/tfjs";
import { checkInteger, checkOneOf, checkOptions, typeError } from "@selfsup/internal";
import { convertIndexedToRgb, decode as decodePng, type DecodedPng } from "fast-png";
import jpeg from "jpeg-js";
import { checkPng, isPng } from "./_png_check.ts";
import { checkJpeg, isJpeg } from "./_jpeg_check.ts";
import type { DecodedImage } from "./decode_image.ts";

/** The default pixel limit, public as `DEFAULT_MAX_PIXELS` (decode_image.ts). */
export const MAX_PIXELS_DEFAULT = 2 ** 25;

/** Checked decoding options. */
export interface DecodeSettings {
  readonly channels?: 1 | 3;
  readonly size?: readonly [number, number];
  readonly maxPixels: number;
}

/** Checks the decoding options of `fn` (`channels`, `size`, `maxPixels`). */
export function checkDecodeOptions(
  fn: string,
  options: { channels?: unknown; size?: unknown; maxPixels?: unknown },
): DecodeSettings {
  checkOptions(fn, options);
  const channels = options.channels === undefined
    ? undefined
    : checkOneOf(fn, "channels", options.channels, [1, 3] as const);
  let size: [number, number] | undefined;
  if (options.size !== undefined) {
    const what = "[height, width] with positive integers";
    const s = options.size;
    if (!Array.isArray(s) || s.length !== 2 || !s.every((d) => typeof d === "number")) {
      throw typeError(fn, "size", what, s);
    }
    size = [
      checkInteger(fn, "size[0]", s[0], { min: 1 }),
      checkInteger(fn, "size[1]", s[1], { min: 1 }),
    ];
  }
  const maxPixels = checkInteger(fn, "maxPixels", options.maxPixels ?? MAX_PIXELS_DEFAULT, {
    min: 1,
  });
  if (size !== undefined) checkOutputPixels(fn, size, maxPixels);
  return { channels, size, maxPixels };
}

function checkOutputPixels(fn: string, size: readonly [number, number], maxPixels: number) {
  if (size[0] * size[1] > maxPixels) {
    throw new RangeError(
      `${fn}(): size must have at most maxPixels = ${maxPixels} pixels, got ` +
        `${size[0]} x ${size[1]} = ${size[0] * size[1]}`,
    );
  }
}

/**
 * Decodes PNG or JPEG bytes after checking their declared size and structure.
 *
 * @throws {RangeError} See `decodeImage()`.
 */
export function decodeChecked(
  fn: string,
  what: string,
  bytes: Uint8Array,
  settings: DecodeSettings,
): DecodedImage {
  let image: DecodedImage;
  if (isPng(bytes)) {
    checkPng(fn, what, bytes, settings.maxPixels);
    image = decodeWith(fn, what, () => fromPng(decodePng(bytes)));
  } else if (isJpeg(bytes)) {
    checkJpeg(fn, what, bytes, settings.maxPixels);
    image = decodeWith(fn, what, () => fromJpeg(bytes, settings.maxPixels));
  } else {
    const head = [...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, "0")).join(" ");
    throw new RangeError(
      `${fn}(): ${what} must be a PNG or JPEG file, got bytes starting with "${head}"`,
    );
  }
  const { channels, size } = settings;
  if (channels !== undefined && channels !== image.channels) image = convert(image, channels);
  if (size !== undefined && (size[0] !== image.height || size[1] !== image.width)) {
    image = resize(image, size);
  }
  return image;
}

function decodeWith(fn: string, what: string, decode: () => DecodedImage): DecodedImage {
  try {
    return decode();
  } catch (error) {
    // fast-png's messages can be empty up front with the detail in the cause.
    const parts: string[] = [];
    for (let e: unknown = error; e instanceof Error && parts.length < 3; e = e.cause) {
      const text = e.message.replace(/:\s*$/, "");
      if (text) parts.push(text);
    }
    throw new RangeError(
      `${fn}(): ${what} must be a decodable image, got a decoder error: ` +
        `${parts.join(": ") || "unknown"}`,
      { cause: error },
    );
  }
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

function fromJpeg(bytes: Uint8Array, maxPixels: number): DecodedImage {
  // jpeg-js always returns RGB, also for grey JPEGs (R = G = B). Its own limits follow ours
  // (the size was checked already; its memory cap allows the decoder's buffers at that size).
  const { width, height, data } = jpeg.decode(bytes, {
    useTArray: true,
    formatAsRGBA: false,
    maxResolutionInMP: maxPixels / 1e6,
    maxMemoryUsageInMB: Math.max(512, Math.ceil((16 * maxPixels) / 2 ** 20)),
  });
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
