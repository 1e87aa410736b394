import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { normalize } from "./mod.ts";
import { mapPixels, maxDiff, randomBatch, take } from "./_testing.ts";

tf.enableProdMode();

Deno.test("normalize() standardises each channel with its mean and std", () => {
  const images = randomBatch([2, 3, 3, 3], 1);
  const mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225];
  const expected = mapPixels(images.arraySync(), (px) => px.map((v, c) => (v - mean[c]) / std[c]));
  assert.ok(maxDiff(take(normalize(images, { mean, std })), expected) < 1e-5);
  images.dispose();
});

Deno.test("normalize() rejects a wrong channel count and a std <= 0", () => {
  const images = randomBatch([1, 2, 2, 1], 1);
  assert.throws(() => normalize(images, { mean: [0, 0], std: [1] }), {
    name: "RangeError",
    message: "normalize(): mean must be an array of 1 numbers, one per channel, got [0, 0]",
  });
  assert.throws(() => normalize(images, { mean: [0], std: [0] }), {
    name: "RangeError",
    message: "normalize(): std[0] must be a finite number > 0, got 0",
  });
  assert.throws(() => normalize(images, undefined as never), {
    name: "TypeError",
    message: "normalize(): options must be an object, got undefined",
  });
  images.dispose();
});
