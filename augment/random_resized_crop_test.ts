import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { randomResizedCrop, resizedCrop, sampleCropBoxes } from "./mod.ts";
import { maxDiff, randomBatch, take } from "./_testing.ts";

tf.enableProdMode();

/** Float64 bilinear crop-and-resize, TensorFlow's convention (corners map to corners). */
function refCrop(img: number[][][], [y1, x1, y2, x2]: number[], oh: number, ow: number) {
  const h = img.length, w = img[0].length;
  const at = (y: number, x: number) => {
    const [t, l] = [Math.floor(y), Math.floor(x)];
    const [b, r] = [Math.min(t + 1, h - 1), Math.min(l + 1, w - 1)];
    const [fy, fx] = [y - t, x - l];
    return img[t][l].map((_, c) =>
      (1 - fy) * ((1 - fx) * img[t][l][c] + fx * img[t][r][c]) +
      fy * ((1 - fx) * img[b][l][c] + fx * img[b][r][c])
    );
  };
  return Array.from({ length: oh }, (_, i) =>
    Array.from({ length: ow }, (_, j) =>
      at(
        y1 * (h - 1) + (oh > 1 ? i * (y2 - y1) * (h - 1) / (oh - 1) : 0),
        x1 * (w - 1) + (ow > 1 ? j * (x2 - x1) * (w - 1) / (ow - 1) : 0),
      )));
}

Deno.test("resizedCrop() matches a float64 bilinear reference", () => {
  const images = randomBatch([2, 7, 9, 3], 3);
  const boxes: [number, number, number, number][] = [[0.1, 0.2, 0.8, 0.7], [0.3, 0, 0.6, 0.5]];
  const expected = images.arraySync().map((img, i) => refCrop(img, boxes[i], 5, 4));
  assert.ok(maxDiff(take(resizedCrop(images, boxes, [5, 4])), expected) < 1e-5);
  images.dispose();
});

Deno.test("resizedCrop() with the full box and the same size is the identity", () => {
  const images = randomBatch([3, 6, 5, 1], 4);
  const full = Array(3).fill([0, 0, 1, 1]);
  assert.deepEqual(take(resizedCrop(images, full, [6, 5])), images.arraySync());
  images.dispose();
});

Deno.test("resizedCrop() never zeroes the last row or column when resizing a full box", () => {
  // (H - 1) / (outH - 1) inexact: cropAndResize alone would drop the last sample to 0 here.
  const images = tf.ones([1, 28, 28, 1]) as tf.Tensor4D;
  for (const out of [13, 17, 24, 31]) {
    const crop = take(resizedCrop(images, [[0, 0, 1, 1]], out));
    assert.ok(crop[0].flat(2).every((v) => v === 1), `size ${out}`);
  }
  images.dispose();
});

Deno.test("sampleCropBoxes() is deterministic and keeps boxes inside the image", () => {
  const options = { seed: 9, height: 20, width: 30 };
  const boxes = sampleCropBoxes(500, options);
  assert.deepEqual(boxes, sampleCropBoxes(500, options));
  assert.notDeepEqual(boxes, sampleCropBoxes(500, { ...options, seed: 10 }));
  for (const [y1, x1, y2, x2] of boxes) {
    assert.ok(0 <= y1 && y1 < y2 && y2 <= 1 && 0 <= x1 && x1 < x2 && x2 <= 1);
    const area = (y2 - y1) * (x2 - x1);
    const ratio = ((x2 - x1) * 30) / ((y2 - y1) * 20);
    assert.ok(area >= 0.08 - 1e-9 && area <= 1 + 1e-9);
    assert.ok(ratio >= 3 / 4 - 1e-9 && ratio <= 4 / 3 + 1e-9);
  }
});

Deno.test("sampleCropBoxes() falls back to the largest centered box of clamped ratio", () => {
  // A 10x40 image (ratio 4) cannot hold a full-area box of ratio <= 2: always the fallback.
  const boxes = sampleCropBoxes(3, {
    seed: 1,
    height: 10,
    width: 40,
    scale: [1, 1],
    ratio: [1, 2],
  });
  for (const box of boxes) {
    assert.deepEqual(box.map((v) => Math.round(v * 1e12) / 1e12), [0, 0.25, 1, 0.75]);
  }
});

Deno.test("randomResizedCrop() gives the requested size, in range, without leaks", () => {
  const images = randomBatch([4, 12, 10, 3], 6);
  const before = tf.memory().numTensors;
  const out = randomResizedCrop(images, { seed: 2, size: [8, 6] });
  assert.deepEqual(out.shape, [4, 8, 6, 3]);
  const values = out.dataSync();
  assert.ok(values.every((v) => v >= 0 && v <= 1));
  out.dispose();
  assert.equal(tf.memory().numTensors, before);
  images.dispose();
});

Deno.test("crop functions reject bad arguments with named errors", () => {
  const images = randomBatch([2, 4, 4, 1], 1);
  const cases: [() => unknown, string, string][] = [
    [
      () => randomResizedCrop(images, { seed: 1, size: 0 }),
      "RangeError",
      "randomResizedCrop(): size must be an integer >= 1 or a [height, width] pair of them, got 0",
    ],
    [
      () => randomResizedCrop(images, { seed: 1.5 }),
      "RangeError",
      "randomResizedCrop(): seed must be a safe integer, got 1.5",
    ],
    [
      () => randomResizedCrop(images, { seed: 1, scale: [0.9, 0.1] }),
      "RangeError",
      "randomResizedCrop(): scale must be a range with lo <= hi, got [0.9, 0.1]",
    ],
    [
      () => randomResizedCrop(images, { seed: 1, ratio: [0, 1] }),
      "RangeError",
      "randomResizedCrop(): ratio[0] must be a finite number > 0, got 0",
    ],
    [
      // Issue 15 item 9: this read `options.seed` of undefined.
      () => randomResizedCrop(images, undefined as never),
      "TypeError",
      "randomResizedCrop(): options must be an object, got undefined",
    ],
    [
      () => resizedCrop(images, [[0, 0, 1, 1]], 4),
      "RangeError",
      "resizedCrop(): boxes must be an array of 2 boxes, one per image, got [[0, 0, 1, 1]]",
    ],
    [
      () => resizedCrop(images, [[0, 0, 1, 1], [0.5, 0, 0.2, 1]], 4),
      "RangeError",
      "resizedCrop(): boxes[1] must be a box with y1 <= y2 and x1 <= x2, got [0.5, 0, 0.2, 1]",
    ],
    [
      () => sampleCropBoxes(-1, { seed: 1, height: 4, width: 4 }),
      "RangeError",
      "sampleCropBoxes(): count must be an integer >= 0, got -1",
    ],
    [
      () => sampleCropBoxes(2, { seed: 1, height: 4, width: 4, scale: [0.5, 2] }),
      "RangeError",
      "sampleCropBoxes(): scale[1] must be a finite number <= 1 and > 0, got 2",
    ],
  ];
  for (const [call, name, message] of cases) assert.throws(call, { name, message });
  assert.equal(cases.length, 9);
  const rank3 = tf.zeros([4, 4, 1]);
  assert.throws(() => randomResizedCrop(rank3 as unknown as tf.Tensor4D, { seed: 1 }), {
    name: "TypeError",
    message: "randomResizedCrop(): images must be a rank-4 tensor [N, H, W, C], " +
      "got a float32 tensor of shape [4,4,1]",
  });
  tf.dispose([images, rank3]);
});

Deno.test("sampleCropBoxes() draws what augment drew before @selfsup/internal's generator", () => {
  // Recorded with augment's own generator before the move.
  assert.deepEqual(sampleCropBoxes(2, { seed: 1, height: 28, width: 28 }), [
    [0.03065524945895642, 0.21911755572794472, 0.5963899795087108, 0.7130288586392955],
    [0.020297252739408123, 0.16696638624958282, 0.7097502297664534, 0.8995229164996962],
  ]);
});
