import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { flipLeftRight, randomFlip } from "./mod.ts";
import { randomBatch, take } from "./_testing.ts";

tf.enableProdMode();

Deno.test("flipLeftRight() reverses every row", () => {
  const images = randomBatch([2, 3, 5, 3], 1);
  const expected = images.arraySync().map((img) => img.map((row) => [...row].reverse()));
  assert.deepEqual(take(flipLeftRight(images)), expected);
  images.dispose();
});

Deno.test("randomFlip() flips exactly the chosen images, with p = 0 and p = 1 as extremes", () => {
  const images = randomBatch([16, 2, 4, 1], 2);
  const original = images.arraySync();
  const flipped = original.map((img) => img.map((row) => [...row].reverse()));
  assert.deepEqual(take(randomFlip(images, { seed: 3, p: 0 })), original);
  assert.deepEqual(take(randomFlip(images, { seed: 3, p: 1 })), flipped);
  const half = take(randomFlip(images, { seed: 3 }));
  let count = 0;
  half.forEach((img, i) => {
    const isFlipped = JSON.stringify(img) === JSON.stringify(flipped[i]);
    assert.ok(isFlipped || JSON.stringify(img) === JSON.stringify(original[i]));
    count += isFlipped ? 1 : 0;
  });
  assert.ok(count > 0 && count < 16);
  assert.deepEqual(take(randomFlip(images, { seed: 3 })), half);
  images.dispose();
});

Deno.test("randomFlip() rejects a probability outside [0, 1]", () => {
  const images = randomBatch([1, 2, 2, 1], 1);
  assert.throws(() => randomFlip(images, { seed: 1, p: 1.5 }), {
    name: "RangeError",
    message: "randomFlip(): p must be a finite number in [0, 1], got 1.5",
  });
  assert.throws(() => randomFlip(images, { seed: 1, p: -0.1 }), RangeError);
  images.dispose();
});

Deno.test("randomFlip() rejects a 0-255 batch for every seed instead of clipping it", () => {
  // Issue 15 item 7: such a batch came back all ones for some seeds and unchanged for others.
  const bytes = tf.tensor4d([0, 128, 255, 64], [2, 1, 2, 1]);
  for (const seed of [0, 1, 2, 3]) {
    assert.throws(() => randomFlip(bytes, { seed, p: 0.5 }), {
      name: "RangeError",
      message: "randomFlip(): images must be in [0, 1], got values in [0, 255]",
    });
  }
  bytes.dispose();
});
