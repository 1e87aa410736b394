import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import assert from "node:assert/strict";
import { sameBits } from "../internal/testing.ts";
import { sobelFilter } from "./mod.ts";
import { batchSamples, maxDiff, randomBatch, refSobel, take, withBatch } from "./_testing.ts";

tf.enableProdMode();

const bits = (t: tf.Tensor) => [t.dataSync() as Float32Array];

Deno.test("sobelFilter() matches a plain-loop reference: luma, reflect padding, 2 sqrt(5) scale", () => {
  const shapes: [number, number, number, number][] = [
    [3, 6, 7, 3],
    [2, 5, 4, 1],
    [2, 1, 6, 3], // one row: no vertical gradient
    [1, 5, 1, 1], // one column
    [1, 1, 1, 3],
  ];
  shapes.forEach((shape, s) => {
    const images = randomBatch(shape, 10 + s);
    const expected = refSobel(images.arraySync());
    const got = take(sobelFilter(images));
    assert.ok(maxDiff(got, expected) < 1e-6, `${shape}: diff ${maxDiff(got, expected)}`);
    images.dispose();
  });
  assert.equal(shapes.length, 5);
});

Deno.test("sobelFilter() gives 0 on a constant image and 1 on the steepest 3x3 window", () => {
  const constant = tf.fill([2, 5, 6, 3], 0.7) as tf.Tensor4D;
  assert.ok(take(sobelFilter(constant)).flat(3).every((v) => Math.abs(v) < 1e-6));
  // Top row and middle-left pixel 1: Gx = -2, Gy = -4 at the centre, the largest magnitude.
  const steepest = tf.tensor4d([1, 1, 1, 1, 0, 0, 0, 0, 0], [1, 3, 3, 1]);
  const out = take(sobelFilter(steepest));
  assert.ok(Math.abs(out[0][1][1][0] - 1) < 1e-6, `${out[0][1][1][0]}`);
  assert.ok(out.flat(3).every((v) => v >= 0 && v <= 1));
  tf.dispose([constant, steepest]);
});

Deno.test("sobelFilter() filters a colour image's luma into equal channels", () => {
  const images = randomBatch([2, 4, 4, 3], 3);
  const out = take(sobelFilter(images));
  assert.ok(out.flat(2).every(([r, g, b]) => r === g && g === b));
  images.dispose();
});

Deno.test("sobelFilter() keeps shape and [0, 1], is deterministic, p = 0 is the identity and p = 1 filters all", () => {
  let runs = 0;
  fc.assert(
    fc.property(
      batchSamples(),
      fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      ({ shape, values }, seed, p) =>
        withBatch(shape, values, (x) => {
          runs++;
          const out = sobelFilter(x, { seed, p });
          const again = sobelFilter(x, { seed, p });
          assert.deepEqual(out.shape, shape);
          assert.ok(sameBits(bits(out), bits(again)));
          const original = x.arraySync();
          const filtered = refSobel(original);
          // Each image is either itself, bit for bit, or its Sobel magnitude.
          out.arraySync().forEach((img, i) => {
            const kept = JSON.stringify(img) === JSON.stringify(original[i]);
            assert.ok(kept || maxDiff([img], [filtered[i]]) < 1e-6);
          });
          const none = sobelFilter(x, { p: 0 });
          assert.ok(sameBits(bits(none), bits(x)));
          const all = sobelFilter(x, { p: 1, seed });
          assert.ok(maxDiff(all.arraySync(), filtered) < 1e-6);
          assert.ok(Array.from(all.dataSync()).every((v) => v >= 0 && v <= 1));
          tf.dispose([out, again, none, all]);
        }),
    ),
    { numRuns: 100 },
  );
  assert.equal(runs, 100);
});

Deno.test("sobelFilter() with 0 < p < 1 chooses its images by seed, and needs one", () => {
  const images = randomBatch([24, 4, 4, 1], 6);
  const original = images.arraySync();
  const chosen = (seed: number) =>
    take(sobelFilter(images, { seed, p: 0.5 })).map((img, i) =>
      JSON.stringify(img) !== JSON.stringify(original[i])
    );
  const first = chosen(1);
  const count = first.filter((c) => c).length;
  assert.ok(count > 0 && count < 24, `${count} filtered`);
  assert.deepEqual(chosen(1), first);
  fc.assert(
    fc.property(fc.integer(), fc.integer(), (a, b) => {
      fc.pre(a !== b);
      // The same 24 choices with probability 2^-24.
      assert.notDeepEqual(chosen(a), chosen(b));
    }),
    { numRuns: 30 },
  );
  assert.throws(() => sobelFilter(images, { p: 0.5 }), {
    name: "TypeError",
    message: "sobelFilter(): seed must be a safe integer, got undefined",
  });
  images.dispose();
});

Deno.test("sobelFilter() rejects a bad p, seed and options", () => {
  const images = randomBatch([2, 4, 4, 3], 1);
  const cases: [() => unknown, string, string][] = [
    [
      () => sobelFilter(images, { p: 1.2 }),
      "RangeError",
      "sobelFilter(): p must be a finite number in [0, 1], got 1.2",
    ],
    [
      // A seed that is given is checked even where it is not needed.
      () => sobelFilter(images, { seed: 1.5 }),
      "RangeError",
      "sobelFilter(): seed must be a safe integer, got 1.5",
    ],
    [
      () => sobelFilter(images, 1 as never),
      "TypeError",
      "sobelFilter(): options must be an object, got 1",
    ],
    [
      () => sobelFilter(images, { checkValues: 0 as never }),
      "TypeError",
      "sobelFilter(): checkValues must be a boolean, got 0",
    ],
  ];
  for (const [call, name, message] of cases) assert.throws(call, { name, message });
  assert.equal(cases.length, 4);
  images.dispose();
});
