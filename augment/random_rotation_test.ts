import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import assert from "node:assert/strict";
import { sameBits } from "../internal/testing.ts";
import { randomRotation } from "./mod.ts";
import { drawRotations } from "./_random_transforms.ts";
import { batchSamples, randomBatch, refRotate, take, withBatch } from "./_testing.ts";

tf.enableProdMode();

const bits = (t: tf.Tensor) => [t.dataSync() as Float32Array];

Deno.test("randomRotation() turns each image by its drawn angle, as a plain-loop reference", () => {
  const images = randomBatch([12, 5, 5, 3], 1);
  const turns = drawRotations(3, 12, 0.75);
  // This seed draws every case: unrotated, 90, 180 and 270 degrees.
  assert.deepEqual([0, 1, 2, 3].map((k) => turns.includes(k)), [true, true, true, true]);
  const expected = images.arraySync().map((img, i) => refRotate(img, turns[i]));
  assert.deepEqual(take(randomRotation(images, { seed: 3, p: 0.75 })), expected);
  images.dispose();
});

Deno.test("randomRotation() turns counter-clockwise, as tf.image.rot90 and np.rot90", () => {
  // [[1, 2], [3, 4]] / 10 -> 90 degrees: [[2, 4], [1, 3]].
  const images = tf.tensor4d([0.1, 0.2, 0.3, 0.4], [1, 2, 2, 1]);
  const seed = [1, 2, 3, 4, 5, 6, 7, 8].find((s) => drawRotations(s, 1, 1)[0] === 1)!;
  const out = randomRotation(images, { seed });
  assert.deepEqual(Array.from(out.dataSync()), Array.from(new Float32Array([0.2, 0.4, 0.1, 0.3])));
  tf.dispose([images, out]);
});

Deno.test("randomRotation() keeps shape and values, is deterministic, p = 0 is the identity and p = 1 rotates all", () => {
  let runs = 0;
  fc.assert(
    fc.property(
      batchSamples(true),
      fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      ({ shape, values }, seed, p) =>
        withBatch(shape, values, (x) => {
          runs++;
          const out = randomRotation(x, { seed, p });
          const again = randomRotation(x, { seed, p });
          assert.deepEqual(out.shape, shape);
          assert.ok(sameBits(bits(out), bits(again)));
          // A rotation moves values: the sorted values are the input's.
          const sorted = (t: tf.Tensor) => Array.from(t.dataSync()).sort((a, b) => a - b);
          assert.deepEqual(sorted(out), sorted(x));
          const none = randomRotation(x, { seed, p: 0 });
          assert.ok(sameBits(bits(none), bits(x)));
          const all = randomRotation(x, { seed, p: 1 });
          const turns = drawRotations(seed, shape[0], 1);
          assert.ok(turns.every((k) => k >= 1 && k <= 3));
          assert.deepEqual(
            all.arraySync(),
            x.arraySync().map((img, i) => refRotate(img, turns[i])),
          );
          tf.dispose([out, again, none, all]);
        }),
    ),
    { numRuns: 100 },
  );
  assert.equal(runs, 100);
});

Deno.test("randomRotation() with different seeds rotates differently", () => {
  const images = randomBatch([16, 4, 4, 1], 2);
  fc.assert(
    fc.property(fc.integer(), fc.integer(), (a, b) => {
      fc.pre(a !== b);
      const [x, y] = [randomRotation(images, { seed: a }), randomRotation(images, { seed: b })];
      // All 16 angles agree with probability 3^-16.
      assert.ok(!sameBits(bits(x), bits(y)));
      tf.dispose([x, y]);
    }),
    { numRuns: 50 },
  );
  images.dispose();
});

Deno.test("drawRotations() picks 90, 180 and 270 degrees equally often, with probability p", () => {
  const n = 30000;
  const counts = [0, 0, 0, 0];
  for (const k of drawRotations(7, n, 1)) counts[k]++;
  assert.equal(counts[0], 0);
  for (const k of [1, 2, 3]) assert.ok(Math.abs(counts[k] / n - 1 / 3) < 0.02, `${counts}`);
  const rotated = drawRotations(8, n, 0.4).filter((k) => k > 0).length;
  assert.ok(Math.abs(rotated / n - 0.4) < 0.02, `${rotated}`);
});

Deno.test("randomRotation() rejects images that are not square, a bad p and a bad seed", () => {
  const wide = randomBatch([2, 4, 6, 3], 1);
  const square = randomBatch([2, 4, 4, 1], 1);
  const bytes = square.mul(255) as tf.Tensor4D;
  const cases: [() => unknown, string, string | RegExp][] = [
    [
      () => randomRotation(wide, { seed: 1 }),
      "RangeError",
      "randomRotation(): images must be a batch of square images (H = W), got a float32 tensor of shape [2,4,6,3]",
    ],
    [
      () => randomRotation(square, { seed: 1, p: 1.5 }),
      "RangeError",
      "randomRotation(): p must be a finite number in [0, 1], got 1.5",
    ],
    [
      () => randomRotation(square, {} as never),
      "TypeError",
      "randomRotation(): seed must be a safe integer, got undefined",
    ],
    [
      () => randomRotation(bytes, { seed: 1 }),
      "RangeError",
      /^randomRotation\(\): images must be in \[0, 1\], got values in \[\d\.\d+, 2\d\d\.\d+\]$/,
    ],
  ];
  for (const [call, name, message] of cases) assert.throws(call, { name, message });
  assert.equal(cases.length, 4);
  tf.dispose([wide, square, bytes]);
});
