import * as tf from "@tensorflow/tfjs";
import { encode as encodePng } from "fast-png";
import jpeg from "jpeg-js";
import assert from "node:assert/strict";
import { decodeImage } from "./decode_image.ts";

tf.enableProdMode();

function jpegOf(width: number, height: number, rgb: (x: number, y: number) => number[]) {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set([...rgb(x, y), 255], 4 * (y * width + x));
  }
  return new Uint8Array(jpeg.encode({ width, height, data }, 95).data);
}

Deno.test("decodeImage() reads 8-bit grey, grey+alpha, RGB and RGBA PNGs exactly", () => {
  const grey = encodePng({ width: 3, height: 1, data: new Uint8Array([0, 128, 255]), channels: 1 });
  assert.deepEqual(decodeImage(grey), {
    data: new Uint8Array([0, 128, 255]),
    height: 1,
    width: 3,
    channels: 1,
  });
  const greyAlpha = encodePng({
    width: 2,
    height: 1,
    data: new Uint8Array([10, 0, 20, 99]),
    channels: 2,
  });
  assert.deepEqual([...decodeImage(greyAlpha).data], [10, 20]);
  const rgb = new Uint8Array([1, 2, 3, 4, 5, 6]);
  const colour = decodeImage(encodePng({ width: 1, height: 2, data: rgb, channels: 3 }));
  assert.deepEqual([colour.height, colour.width, colour.channels, ...colour.data], [
    2,
    1,
    3,
    1,
    2,
    3,
    4,
    5,
    6,
  ]);
  const rgba = new Uint8Array([1, 2, 3, 0, 4, 5, 6, 255]);
  assert.deepEqual([
    ...decodeImage(encodePng({ width: 2, height: 1, data: rgba, channels: 4 })).data,
  ], [1, 2, 3, 4, 5, 6]);
});

Deno.test("decodeImage() reads 16-bit, 1-bit and palette PNGs", () => {
  const deep = encodePng({
    width: 2,
    height: 1,
    data: new Uint16Array([0x1234, 0xff00]),
    channels: 1,
    depth: 16,
  });
  assert.deepEqual([...decodeImage(deep).data], [0x12, 0xff]);
  // 1-bit grey, 10 pixels per row (rows padded to 2 bytes): 1010000011 / 0000000001
  const bits = new Uint8Array([0b10100000, 0b11000000, 0b00000000, 0b01000000]);
  const mono = decodeImage(encodePng({ width: 10, height: 2, data: bits, channels: 1, depth: 1 }));
  assert.deepEqual([...mono.data].map((v) => v / 255), [
    1,
    0,
    1,
    0,
    0,
    0,
    0,
    0,
    1,
    1,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    1,
  ]);
  const palette: [number, number, number][] = [[255, 0, 0], [0, 0, 255]];
  const indexed = encodePng({
    width: 3,
    height: 1,
    data: new Uint8Array([1, 0, 1]),
    channels: 1,
    palette,
  });
  const decoded = decodeImage(indexed);
  assert.equal(decoded.channels, 3);
  assert.deepEqual([...decoded.data], [0, 0, 255, 255, 0, 0, 0, 0, 255]);
});

Deno.test("decodeImage() converts colour to grey with BT.601 luma and grey to RGB", () => {
  const rgb = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]);
  const grey = decodeImage(encodePng({ width: 4, height: 1, data: rgb, channels: 3 }), {
    channels: 1,
  });
  // Independent values: 0.299 * 255 = 76.2, 0.587 * 255 = 149.7, 0.114 * 255 = 29.1,
  // 0.299 * 10 + 0.587 * 20 + 0.114 * 30 = 18.15.
  assert.deepEqual([...grey.data], [76, 150, 29, 18]);
  const back = decodeImage(
    encodePng({ width: 1, height: 1, data: new Uint8Array([7]), channels: 1 }),
    { channels: 3 },
  );
  assert.deepEqual([...back.data], [7, 7, 7]);
});

Deno.test("decodeImage() reads colour and grey JPEGs within JPEG's error", () => {
  const colour = decodeImage(jpegOf(16, 8, () => [200, 50, 100]));
  assert.deepEqual([colour.height, colour.width, colour.channels], [8, 16, 3]);
  for (let p = 0; p < 16 * 8; p++) {
    [200, 50, 100].forEach((v, c) => assert.ok(Math.abs(colour.data[3 * p + c] - v) <= 3));
  }
  const grey = decodeImage(jpegOf(8, 8, (x) => Array(3).fill(x < 4 ? 40 : 220)), { channels: 1 });
  assert.equal(grey.channels, 1);
  for (let p = 0; p < 64; p++) {
    assert.ok(Math.abs(grey.data[p] - (p % 8 < 4 ? 40 : 220)) <= 8, `pixel ${p}: ${grey.data[p]}`);
  }
});

Deno.test("decodeImage() resizes bilinearly with half-pixel centres", () => {
  // 2x2 -> 3x3 against a float64 reference: source coordinate (o + 0.5) * in / out - 0.5,
  // linear between the two nearest pixels, clamped at the border.
  const src = [10, 200, 90, 31];
  const png = encodePng({ width: 2, height: 2, data: new Uint8Array(src), channels: 1 });
  const image = decodeImage(png, { size: [3, 3] });
  assert.deepEqual([image.height, image.width, image.channels], [3, 3, 1]);
  const clamp = (i: number) => Math.min(1, Math.max(0, i));
  const at = (y: number, x: number) => src[clamp(y) * 2 + clamp(x)];
  for (let oy = 0; oy < 3; oy++) {
    for (let ox = 0; ox < 3; ox++) {
      const sy = (oy + 0.5) * 2 / 3 - 0.5, sx = (ox + 0.5) * 2 / 3 - 0.5;
      const y0 = Math.floor(sy), x0 = Math.floor(sx), fy = sy - y0, fx = sx - x0;
      const top = at(y0, x0) * (1 - fx) + at(y0, x0 + 1) * fx;
      const bottom = at(y0 + 1, x0) * (1 - fx) + at(y0 + 1, x0 + 1) * fx;
      const expected = top * (1 - fy) + bottom * fy;
      assert.ok(Math.abs(image.data[oy * 3 + ox] - expected) <= 0.5 + 1e-3, `(${oy}, ${ox})`);
    }
  }
});

Deno.test("decodeImage() names the file on unknown or broken data and rejects bad options", () => {
  assert.throws(() => decodeImage(new Uint8Array([1, 2, 3, 4]), { name: "x.png" }), {
    name: "RangeError",
    message:
      'decodeImage(): x.png must be a PNG or JPEG file, got bytes starting with "01 02 03 04"',
  });
  const png = encodePng({ width: 4, height: 4, data: new Uint8Array(16), channels: 1 });
  assert.throws(() => decodeImage(png, { channels: 2 as 1 }), {
    name: "RangeError",
    message: "decodeImage(): channels must be one of 1, 3, got 2",
  });
  assert.throws(() => decodeImage(png, { size: [0, 3] }), {
    name: "RangeError",
    message: "decodeImage(): size[0] must be an integer >= 1, got 0",
  });
  assert.throws(() => decodeImage(png, { size: 3 as never }), TypeError);
  assert.throws(() => decodeImage(png, { maxPixels: 0 }), /maxPixels must be an integer >= 1/);
  assert.throws(() => decodeImage(png, { size: [5000, 5000], maxPixels: 2 ** 24 }), {
    name: "RangeError",
    message:
      "decodeImage(): size must have at most maxPixels = 16777216 pixels, got 5000 x 5000 = 25000000",
  });
  assert.throws(() => decodeImage("a.png" as never), {
    name: "TypeError",
    message: 'decodeImage(): bytes must be a Uint8Array, got "a.png"',
  });
});

Deno.test("decodeImage() says a truncated PNG is truncated, wherever it is cut", () => {
  const data = Uint8Array.from({ length: 64 * 64 }, (_, i) => (i * 37) % 256);
  const png = encodePng({ width: 64, height: 64, data, channels: 1 });
  let cuts = 0;
  for (let length = 8; length < png.length; length += 7) {
    assert.throws(() => decodeImage(png.subarray(0, length), { name: "cut.png" }), {
      name: "RangeError",
      message: new RegExp(
        `^decodeImage\\(\\): cut.png must be a complete PNG file, got one that ends .* ` +
          `\\(truncated: ${length} bytes\\)$`,
      ),
    });
    cuts++;
  }
  assert.ok(cuts > 10);
  // A cut inside the image data, as the issue found it (fast-png said only "Error while
  // decompressing the data:").
  assert.throws(() => decodeImage(png.subarray(0, 60), { name: "cut.png" }), {
    message: "decodeImage(): cut.png must be a complete PNG file, got one that ends inside its " +
      '"IDAT" chunk (truncated: 60 bytes)',
  });
});

Deno.test("decodeImage() names corrupt PNG image data and too little of it", async () => {
  const data = new Uint8Array(8 * 8).fill(7);
  const png = encodePng({ width: 8, height: 8, data, channels: 1 });
  // The IDAT payload starts after the signature (8), IHDR (25) and the IDAT length and type.
  const corrupt = png.slice();
  corrupt.fill(0xff, 41 + 2, 41 + 6);
  assert.throws(() => decodeImage(corrupt, { name: "bad.png" }), {
    name: "RangeError",
    message: /^decodeImage\(\): bad.png must hold valid compressed image data, got data that/,
  });
  // Valid zlib data of 10 bytes where 8 x 9 = 72 are declared.
  const short = new Uint8Array(
    await new Response(
      new Blob([new Uint8Array(10)]).stream().pipeThrough(new CompressionStream("deflate")),
    ).arrayBuffer(),
  );
  const idat = new Uint8Array(12 + short.length);
  new DataView(idat.buffer).setUint32(0, short.length);
  idat.set(new TextEncoder().encode("IDAT"), 4);
  idat.set(short, 8);
  const iend = png.subarray(png.length - 12);
  const few = new Uint8Array([...png.subarray(0, 33), ...idat, ...iend]);
  assert.throws(() => decodeImage(few, { name: "few.png" }), {
    name: "RangeError",
    message: "decodeImage(): few.png must hold 72 bytes of image data for its PNG header, got 10 " +
      "(truncated or corrupt)",
  });
});

Deno.test("decodeImage() applies maxPixels to JPEG too and says a truncated JPEG is truncated", () => {
  const image = jpegOf(40, 30, () => [10, 20, 30]);
  assert.throws(() => decodeImage(image, { maxPixels: 1199, name: "a.jpg" }), {
    name: "RangeError",
    message: "decodeImage(): a.jpg must have at most maxPixels = 1199 pixels, got 40 x 30 = 1200 " +
      "(raise the maxPixels option to allow it)",
  });
  assert.equal(decodeImage(image, { maxPixels: 1200 }).width, 40);
  assert.throws(() => decodeImage(image.subarray(0, 50), { name: "cut.jpg" }), {
    name: "RangeError",
    message: "decodeImage(): cut.jpg must be a complete JPEG file, got one that ends before its " +
      "frame header (truncated: 50 bytes)",
  });
  // Cut after the frame header: jpeg-js's own error, named.
  assert.throws(
    () => decodeImage(image.subarray(0, image.length - 100), { name: "cut.jpg" }),
    /^RangeError: decodeImage\(\): cut.jpg must be a decodable image, got a decoder error: ./,
  );
});

Deno.test("decodeImage() leaks no tensor when resizing", () => {
  const png = encodePng({ width: 4, height: 4, data: new Uint8Array(48).fill(3), channels: 3 });
  const before = tf.memory().numTensors;
  decodeImage(png, { size: [2, 5] });
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("decodeImage() reads an Adam7-interlaced PNG (its declared data size is per pass)", async () => {
  // A 5 x 3 grey image, pixel (x, y) = 10 * y + x, written by hand pass by pass (filter 0).
  const width = 5, height = 3;
  const passes = [
    [0, 0, 8, 8],
    [4, 0, 8, 8],
    [0, 4, 4, 8],
    [2, 0, 4, 4],
    [0, 2, 2, 4],
    [1, 0, 2, 2],
    [0, 1, 1, 2],
  ];
  const raw: number[] = [];
  for (const [x0, y0, dx, dy] of passes) {
    for (let y = y0; y < height; y += dy) {
      const row: number[] = [];
      for (let x = x0; x < width; x += dx) row.push(10 * y + x);
      if (row.length > 0) raw.push(0, ...row);
    }
  }
  const zlib = new Uint8Array(
    await new Response(
      new Blob([new Uint8Array(raw)]).stream().pipeThrough(new CompressionStream("deflate")),
    ).arrayBuffer(),
  );
  const chunk = (type: string, data: Uint8Array) => {
    const out = new Uint8Array(12 + data.length); // CRC left zero: not checked
    new DataView(out.buffer).setUint32(0, data.length);
    out.set(new TextEncoder().encode(type), 4);
    out.set(data, 8);
    return [...out];
  };
  const ihdr = new Uint8Array([0, 0, 0, width, 0, 0, 0, height, 8, 0, 0, 0, 1]);
  const png = new Uint8Array([
    ...[0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
    ...chunk("IHDR", ihdr),
    ...chunk("IDAT", zlib),
    ...chunk("IEND", new Uint8Array(0)),
  ]);
  const image = decodeImage(png);
  assert.deepEqual([image.height, image.width], [height, width]);
  assert.deepEqual([...image.data], [0, 1, 2, 3, 4, 10, 11, 12, 13, 14, 20, 21, 22, 23, 24]);
});
