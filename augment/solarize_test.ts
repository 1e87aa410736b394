import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { randomSolarize, solarize } from "./mod.ts";
import { mapPixels, randomBatch, take } from "./_testing.ts";

tf.enableProdMode();

Deno.test("solarize() inverts the values at or above the threshold", () => {
  const images = randomBatch([2, 3, 3, 3], 2);
  for (const t of [0.5, 0.2]) {
    const expected = mapPixels(images.arraySync(), (px) => px.map((v) => v < t ? v : 1 - v));
    const got = take(solarize(images, { threshold: t }));
    got.flat(3).forEach((v, k) => assert.ok(Math.abs(v - expected.flat(3)[k]) < 1e-7));
  }
  images.dispose();
});

Deno.test("randomSolarize() with p = 0 is the identity and with p = 1 solarizes all", () => {
  const images = randomBatch([5, 2, 2, 1], 3);
  assert.deepEqual(take(randomSolarize(images, { seed: 1, p: 0 })), images.arraySync());
  assert.deepEqual(take(randomSolarize(images, { seed: 1, p: 1 })), take(solarize(images)));
  images.dispose();
});

Deno.test("solarize() rejects a threshold outside [0, 1] and values outside [0, 1]", () => {
  const images = randomBatch([1, 2, 2, 1], 3);
  assert.throws(() => solarize(images, { threshold: 2 }), {
    name: "RangeError",
    message: "solarize(): threshold must be a finite number in [0, 1], got 2",
  });
  const negative = images.sub(1) as tf.Tensor4D;
  assert.throws(() => solarize(negative), {
    name: "RangeError",
    message: /^solarize\(\): images must be in \[0, 1\], got values in \[-/,
  });
  tf.dispose([images, negative]);
});
