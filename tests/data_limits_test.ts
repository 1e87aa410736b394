// Hostile files against the data loaders (issue 15, item 2): each is small on disk and would
// expand to hundreds of megabytes; each must be refused with memory far below that.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { decode as decodePng } from "fast-png";
import { decodeImage, encodeIdx } from "@selfsup/data";
import { loadImageFolder, readIdxFile } from "@selfsup/data/files";
import { compressedZeros, handMadePng, peakRssGrowth } from "./data_eval_peak_rss.ts";

tf.enableProdMode();

const MIB = 2 ** 20;

Deno.test("readIdxFile() stops a gzip IDX bomb at the size its header declares", async () => {
  // 4 x 28 x 28 declared (3,152 bytes with the header), 512 MiB of zeros behind it.
  const header = encodeIdx(new Uint8Array(4 * 28 * 28), [4, 28, 28]).subarray(0, 16);
  const bomb = await compressedZeros(header, 512 * MIB, "gzip");
  assert.ok(bomb.length < 600_000, `the bomb is ${bomb.length} bytes`);
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/bomb.gz`, bomb);
    const { mib, error } = await peakRssGrowth(() => readIdxFile(`${dir}/bomb.gz`));
    assert.ok(error instanceof RangeError, String(error));
    assert.equal(
      error.message,
      `readIdxFile(): IDX file "${dir}/bomb.gz" must be 3152 bytes for its IDX shape ` +
        "[4, 28, 28], got more when decompressed (truncated or corrupt)",
    );
    assert.ok(mib < 64, `peak memory grew by ${mib.toFixed(1)} MiB for a 512 MiB bomb`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readIdxFile() does not allocate what a header declares before the data is there", async () => {
  // Declares 2^32 - 1 squared bytes, holds 100.
  const header = new Uint8Array([0, 0, 8, 2, 255, 255, 255, 255, 255, 255, 255, 255]);
  const file = await compressedZeros(header, 100, "gzip");
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/huge.gz`, file);
    const { mib, error } = await peakRssGrowth(() => readIdxFile(`${dir}/huge.gz`));
    assert.ok(error instanceof RangeError, String(error));
    assert.match(error.message, /must be 18446744065119617037 bytes .* got 112 \(truncated/);
    assert.ok(mib < 64, `peak memory grew by ${mib.toFixed(1)} MiB`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// A 16384 x 16384 grey PNG of zeros: 256 KiB on disk, 256 MiB of pixels.
async function hugePng(): Promise<Uint8Array> {
  const side = 16384;
  const zlib = await compressedZeros(new Uint8Array(0), side * (side + 1), "deflate");
  return handMadePng(side, side, zlib);
}

Deno.test("decodeImage() refuses a PNG declaring more than maxPixels before decoding it", async () => {
  const png = await hugePng();
  assert.ok(png.length < 400_000, `the PNG is ${png.length} bytes`);
  const { mib, error } = await peakRssGrowth(() => decodeImage(png, { name: "big.png" }));
  assert.ok(error instanceof RangeError, String(error));
  assert.equal(
    error.message,
    "decodeImage(): big.png must have at most maxPixels = 33554432 pixels, got 16384 x 16384 " +
      "= 268435456 (raise the maxPixels option to allow it)",
  );
  assert.ok(mib < 64, `peak memory grew by ${mib.toFixed(1)} MiB for a 256 MiB image`);
});

Deno.test("loadImageFolder() passes maxPixels to the decoder and names the file", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${root}/big.png`, await hugePng());
    const { mib, error } = await peakRssGrowth(() => loadImageFolder(root));
    assert.ok(error instanceof RangeError, String(error));
    assert.match(
      error.message,
      /^loadImageFolder\(\): image "[^"]*big.png" must have at most maxPixels = 33554432 pixels/,
    );
    assert.ok(mib < 64, `peak memory grew by ${mib.toFixed(1)} MiB`);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("decodeImage() stops a PNG whose image data inflates past its declared size", async () => {
  // Declares 1 x 1 (2 bytes of scanline), holds 256 MiB of zeros.
  const png = handMadePng(1, 1, await compressedZeros(new Uint8Array(0), 256 * MIB, "deflate"));
  assert.ok(png.length < 300_000, `the PNG is ${png.length} bytes`);
  const { mib, error } = await peakRssGrowth(() => decodeImage(png, { name: "bomb.png" }));
  assert.ok(error instanceof RangeError, String(error));
  assert.equal(
    error.message,
    "decodeImage(): bomb.png must hold at most 2 bytes of image data once inflated, got more " +
      "(a decompression bomb?)",
  );
  assert.ok(mib < 64, `peak memory grew by ${mib.toFixed(1)} MiB for a 256 MiB bomb`);
});

Deno.test("handMadePng() makes PNGs that a decoder reads, so the cases above are real", async () => {
  const png = handMadePng(3, 2, await compressedZeros(new Uint8Array(0), 2 * 4, "deflate"));
  const decoded = decodePng(png, { checkCrc: true });
  assert.deepEqual([decoded.width, decoded.height, ...decoded.data], [3, 2, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(decodeImage(png).data, new Uint8Array(6));
});
