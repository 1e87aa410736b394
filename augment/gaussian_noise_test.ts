import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import assert from "node:assert/strict";
import { sameBits } from "../internal/testing.ts";
import { gaussianNoise } from "./mod.ts";
import { drawNoise } from "./_random_transforms.ts";
import { batchSamples, maxDiff, randomBatch, take, withBatch } from "./_testing.ts";

tf.enableProdMode();

const bits = (t: tf.Tensor) => [t.dataSync() as Float32Array];

Deno.test("gaussianNoise() adds each chosen image's drawn noise and clips, as a plain-loop reference", () => {
  const images = randomBatch([6, 4, 5, 3], 5);
  const draws = drawNoise(2, 6, 4 * 5 * 3, 0.5, [0.05, 0.3]);
  const chosen = draws.applied.filter((a) => a).length;
  assert.ok(chosen > 0 && chosen < 6, `${chosen} noisy images`);
  let k = 0;
  const expected = images.arraySync().map((img, i) =>
    draws.applied[i]
      ? img.map((row) =>
        row.map((px) => px.map((v) => Math.min(1, Math.max(0, v + draws.noise[k++]))))
      )
      : img
  );
  assert.equal(k, draws.noise.length);
  const got = take(gaussianNoise(images, { seed: 2, p: 0.5, std: [0.05, 0.3] }));
  assert.ok(maxDiff(got, expected) < 1e-6, `diff ${maxDiff(got, expected)}`);
  // The images without noise keep their exact values.
  const clean = got.filter((_, i) => !draws.applied[i]);
  assert.equal(clean.length, 6 - chosen);
  assert.deepEqual(clean, expected.filter((_, i) => !draws.applied[i]));
  images.dispose();
});

Deno.test("drawNoise() draws N(0, sigma^2) values with sigma uniform in the range per image", () => {
  const { noise, sigmas } = drawNoise(3, 4, 20000, 1, [0.2, 0.2]);
  assert.equal(noise.length, 80000);
  assert.ok(sigmas.every((s) => s === Math.fround(0.2)));
  const mean = noise.reduce((a, b) => a + b, 0) / noise.length;
  const std = Math.sqrt(noise.reduce((a, b) => a + (b - mean) ** 2, 0) / noise.length);
  const within = noise.filter((v) => Math.abs(v) < 0.2).length / noise.length;
  assert.ok(Math.abs(mean) < 0.005, `mean ${mean}`);
  assert.ok(Math.abs(std - 0.2) < 0.005, `std ${std}`);
  assert.ok(Math.abs(within - 0.6827) < 0.01, `within one sigma ${within}`); // normal, not uniform
  const wide = drawNoise(4, 20000, 1, 0.5, [0, 0.1]);
  assert.ok(wide.sigmas.every((s) => s >= 0 && s < 0.1));
  const average = wide.sigmas.reduce((a, b) => a + b, 0) / wide.sigmas.length;
  assert.ok(Math.abs(average - 0.05) < 0.002, `mean sigma ${average}`);
  const noisy = wide.applied.filter((a) => a).length;
  assert.ok(Math.abs(noisy / 20000 - 0.5) < 0.02);
  assert.equal(wide.noise.length, noisy);
});

Deno.test("gaussianNoise() keeps shape and [0, 1], is deterministic, p = 0 is the identity and p = 1 adds to all", () => {
  let runs = 0;
  fc.assert(
    fc.property(
      batchSamples(),
      fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.double({ min: 0, max: 0.5, noNaN: true }),
      ({ shape, values }, seed, p, std) =>
        withBatch(shape, values, (x) => {
          runs++;
          const out = gaussianNoise(x, { seed, p, std: [0, std] });
          const again = gaussianNoise(x, { seed, p, std: [0, std] });
          assert.deepEqual(out.shape, shape);
          assert.ok(sameBits(bits(out), bits(again)));
          assert.ok(Array.from(out.dataSync()).every((v) => v >= 0 && v <= 1));
          const none = gaussianNoise(x, { seed, p: 0 });
          assert.ok(sameBits(bits(none), bits(x)));
          const all = gaussianNoise(x, { seed, p: 1, std });
          const size = shape[1] * shape[2] * shape[3];
          const { applied, noise } = drawNoise(seed, shape[0], size, 1, [std, std]);
          assert.ok(applied.every((a) => a));
          const input = x.dataSync();
          const got = all.dataSync();
          input.forEach((v, j) => {
            const want = Math.min(1, Math.max(0, v + noise[j]));
            assert.ok(Math.abs(got[j] - want) < 1e-6, `${got[j]} vs ${want}`);
          });
          tf.dispose([out, again, none, all]);
        }),
    ),
    { numRuns: 100 },
  );
  assert.equal(runs, 100);
});

Deno.test("gaussianNoise() with different seeds adds different noise", () => {
  const images = tf.fill([2, 4, 4, 1], 0.5) as tf.Tensor4D;
  fc.assert(
    fc.property(fc.integer(), fc.integer(), (a, b) => {
      fc.pre(a !== b);
      const [x, y] = [gaussianNoise(images, { seed: a }), gaussianNoise(images, { seed: b })];
      assert.ok(!sameBits(bits(x), bits(y)));
      tf.dispose([x, y]);
    }),
    { numRuns: 50 },
  );
  images.dispose();
});

Deno.test("gaussianNoise() rejects a bad std, p and seed", () => {
  const images = randomBatch([2, 4, 4, 3], 1);
  const cases: [() => unknown, string, string][] = [
    [
      () => gaussianNoise(images, { seed: 1, std: -0.1 }),
      "RangeError",
      "gaussianNoise(): std must be a finite number >= 0, got -0.1",
    ],
    [
      () => gaussianNoise(images, { seed: 1, std: [0.2, 0.1] }),
      "RangeError",
      "gaussianNoise(): std must be a range with lo <= hi, got [0.2, 0.1]",
    ],
    [
      () => gaussianNoise(images, { seed: 1, std: [0, Infinity] }),
      "RangeError",
      "gaussianNoise(): std[1] must be a finite number >= 0, got Infinity",
    ],
    [
      () => gaussianNoise(images, { seed: 1, std: { lo: 0 } as never }),
      "TypeError",
      "gaussianNoise(): std must be a number or a [lo, hi] pair of numbers, got an object",
    ],
    [
      () => gaussianNoise(images, { seed: 1, p: 2 }),
      "RangeError",
      "gaussianNoise(): p must be a finite number in [0, 1], got 2",
    ],
    [
      () => gaussianNoise(images, { seed: "1" as never }),
      "TypeError",
      'gaussianNoise(): seed must be a safe integer, got "1"',
    ],
  ];
  for (const [call, name, message] of cases) assert.throws(call, { name, message });
  assert.equal(cases.length, 6);
  images.dispose();
});
