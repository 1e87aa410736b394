import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { adjustBrightness, adjustContrast, adjustHue, adjustSaturation } from "./mod.ts";
import {
  maxDiff,
  randomBatch,
  refBrightness,
  refContrast,
  refHue,
  refSaturation,
  take,
} from "./_testing.ts";
import { brightnessKernel } from "./_kernels.ts";

tf.enableProdMode();

const cases: [string, typeof adjustBrightness, typeof refBrightness, number[]][] = [
  ["adjustBrightness", adjustBrightness, refBrightness, [0.2, 1, 1.7, 0]],
  ["adjustContrast", adjustContrast, refContrast, [0.2, 1, 1.8, 0]],
  ["adjustSaturation", adjustSaturation, refSaturation, [0.2, 1, 1.8, 0]],
  ["adjustHue", adjustHue, refHue, [-0.2, 0.5, 0.13, 1 / 3]],
];

for (const [name, fn, ref, params] of cases) {
  Deno.test(`${name}() matches a float64 reference per image`, () => {
    const images = randomBatch([4, 5, 6, 3], 11);
    const expected = ref(images.arraySync(), params);
    const got = take(fn(images, params));
    assert.ok(maxDiff(got, expected) < 2e-6, `max diff ${maxDiff(got, expected)}`);
    images.dispose();
  });

  Deno.test(`${name}() leaks no tensor and rejects a wrong parameter count`, () => {
    const images = randomBatch([2, 3, 3, 3], 1);
    const before = tf.memory().numTensors;
    fn(images, params.slice(0, 2)).dispose();
    assert.equal(tf.memory().numTensors, before);
    const arg = name === "adjustHue" ? "deltas" : "factors";
    assert.throws(() => fn(images, [1]), {
      name: "RangeError",
      message: `${name}(): ${arg} must be an array of 2 numbers, one per image, got [1]`,
    });
    assert.throws(() => fn(images, [NaN, 1]), {
      name: "RangeError",
      message: new RegExp(`^${name}\\(\\): ${arg}\\[0\\] must be a finite number`),
    });
    const doubled = images.mul(2) as tf.Tensor4D;
    assert.throws(() => fn(doubled, [1, 1]), {
      name: "RangeError",
      message: new RegExp(`^${name}\\(\\): images must be in \\[0, 1\\], got values in`),
    });
    fn(doubled, [1, 1], { checkValues: false }).dispose();
    tf.dispose([images, doubled]);
  });
}

Deno.test("colour adjustments give the image back exactly at their identity value", () => {
  const images = randomBatch([3, 4, 4, 3], 5);
  const original = images.arraySync();
  for (
    const out of [
      adjustBrightness(images, [1, 1, 1]),
      adjustContrast(images, [1, 1, 1]),
      adjustSaturation(images, [1, 1, 1]),
      adjustHue(images, [0, 0, 0]),
      brightnessKernel(images, [0, 0, 0], true),
    ]
  ) {
    assert.deepEqual(take(out), original);
  }
  images.dispose();
});

Deno.test("saturation and hue leave grayscale (C = 1) images unchanged", () => {
  const images = randomBatch([2, 3, 3, 1], 2);
  assert.deepEqual(take(adjustSaturation(images, [0, 2])), images.arraySync());
  assert.deepEqual(take(adjustHue(images, [0.3, -0.1])), images.arraySync());
  images.dispose();
});

Deno.test("hue rotation by a third of a turn permutes pure primaries", () => {
  const images = tf.tensor4d([1, 0, 0, 0, 1, 0, 0, 0, 1], [3, 1, 1, 3]);
  const got = take(adjustHue(images, [1 / 3, 1 / 3, 1 / 3])).map((img) => img[0][0]);
  const expected = [[0, 1, 0], [0, 0, 1], [1, 0, 0]];
  got.forEach((px, i) => px.forEach((v, c) => assert.ok(Math.abs(v - expected[i][c]) < 1e-5)));
  images.dispose();
});
