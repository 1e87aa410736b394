// Reads a JPEG's declared size from its frame header (SOFn) so the pixel limit is checked
// with the same message as for PNG before jpeg-js allocates anything.
import { checkPixels } from "./_png_check.ts";

/** True when `bytes` start with a JPEG start-of-image marker. */
export function isJpeg(bytes: Uint8Array): boolean {
  return bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/**
 * Walks the JPEG markers up to the first frame header and checks its size against
 * `maxPixels`. Data that ends before a frame header is a truncated file.
 *
 * @throws {RangeError} If the size is above `maxPixels` or the data ends before the frame
 *   header.
 */
export function checkJpeg(fn: string, what: string, bytes: Uint8Array, maxPixels: number): void {
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return; // not a marker: leave the error to jpeg-js
    const marker = bytes[at + 1];
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      at += 2; // markers without a segment
      continue;
    }
    const length = (bytes[at + 2] << 8) | bytes[at + 3];
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 &&
      marker !== 0xcc;
    if (isFrame) {
      if (at + 9 > bytes.length) break;
      const height = (bytes[at + 5] << 8) | bytes[at + 6];
      const width = (bytes[at + 7] << 8) | bytes[at + 8];
      checkPixels(fn, what, width, height, maxPixels);
      return;
    }
    if (marker === 0xda || marker === 0xd9) return; // scan or end before a frame: jpeg-js says
    at += 2 + length;
  }
  throw new RangeError(
    `${fn}(): ${what} must be a complete JPEG file, got one that ends before its frame ` +
      `header (truncated: ${bytes.length} bytes)`,
  );
}
