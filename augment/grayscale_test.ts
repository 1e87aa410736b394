import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { grayscale, randomGrayscale } from "./mod.ts";
import { mapPixels, maxDiff, randomBatch, take } from "./_testing.ts";

tf.enableProdMode();

Deno.test("grayscale() puts the BT.601 luma in all three channels", () => {
  const images = randomBatch([2, 3, 4, 3], 5);
  const expected = mapPixels(images.arraySync(), ([r, g, b]) => {
    const y = 0.299 * r + 0.587 * g + 0.114 * b;
    return [y, y, y];
  });
  assert.ok(maxDiff(take(grayscale(images)), expected) < 1e-6);
  images.dispose();
});

Deno.test("grayscale() of a grayscale image is unchanged, and C = 1 is the identity", () => {
  const images = randomBatch([2, 3, 4, 3], 6);
  const once = grayscale(images);
  assert.ok(maxDiff(take(grayscale(once)), once.arraySync()) < 1e-6);
  const single = randomBatch([2, 3, 3, 1], 1);
  assert.deepEqual(take(randomGrayscale(single, { seed: 1, p: 1 })), single.arraySync());
  tf.dispose([images, once, single]);
});

Deno.test("randomGrayscale() converts exactly the chosen images", () => {
  const images = randomBatch([20, 2, 2, 3], 7);
  const original = images.arraySync();
  const out = take(randomGrayscale(images, { seed: 4, p: 0.5 }));
  let converted = 0;
  out.forEach((img, i) => {
    const gray = img.flat().every(([r, g, b]) => r === g && g === b);
    if (gray) converted++;
    else assert.deepEqual(img, original[i]);
  });
  assert.ok(converted > 0 && converted < 20);
  images.dispose();
});

Deno.test("randomGrayscale() rejects a 0-255 batch for every seed instead of clipping it", () => {
  // Issue 15 item 7: the range went unchecked, unlike every other augmentation.
  const bytes = tf.tensor4d([255, 0, 0, 10, 20, 30], [2, 1, 1, 3]);
  for (const seed of [0, 1, 2, 3]) {
    assert.throws(() => randomGrayscale(bytes, { seed, p: 0.5 }), {
      name: "RangeError",
      message: "randomGrayscale(): images must be in [0, 1], got values in [0, 255]",
    });
  }
  bytes.dispose();
});
