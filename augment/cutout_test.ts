import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import assert from "node:assert/strict";
import { sameBits } from "../internal/testing.ts";
import { cutout } from "./mod.ts";
import { drawCutouts } from "./_random_transforms.ts";
import { batchSamples, randomBatch, refCutout, take, withBatch } from "./_testing.ts";

tf.enableProdMode();

const bits = (t: tf.Tensor) => [t.dataSync() as Float32Array];

Deno.test("cutout() zeroes each chosen image's drawn square, as a plain-loop reference", () => {
  const images = randomBatch([10, 7, 9, 3], 4);
  const boxes = drawCutouts(5, 10, 7, 9, 0.7, [0.3, 0.7]);
  const holes = boxes.filter((b) => b !== null).length;
  assert.ok(holes > 0 && holes < 10, `${holes} holes`);
  const expected = images.arraySync().map((img, i) => boxes[i] ? refCutout(img, boxes[i]!) : img);
  assert.deepEqual(take(cutout(images, { seed: 5, p: 0.7, size: [0.3, 0.7] })), expected);
  images.dispose();
});

Deno.test("drawCutouts() draws squares of the asked side, centred anywhere, clipped at borders", () => {
  // 8x8 images, side 0.5 x 8 = 4: the hole is rows [cy - 2, cy + 2) around a centre pixel cy.
  const boxes = drawCutouts(6, 4000, 8, 8, 1, [0.5, 0.5]);
  assert.equal(boxes.length, 4000);
  // The centre pixel: 2 below the top edge, or 2 above the bottom one where the top was cut.
  const centre = (a: number, b: number) => a === 0 ? b - 2 : a + 2;
  const centres = new Set<string>();
  let clipped = 0;
  for (const box of boxes) {
    assert.ok(box !== null);
    const [y0, y1, x0, x1] = box;
    assert.ok(0 <= y0 && y0 < y1 && y1 <= 8 && 0 <= x0 && x0 < x1 && x1 <= 8, `${box}`);
    // A side is 4 unless the square crosses the border, where it is cut to what lies inside.
    for (const [a, b] of [[y0, y1], [x0, x1]]) {
      assert.ok(b - a === 4 || (b - a < 4 && (a === 0 || b === 8)), `${box}`);
    }
    if (y1 - y0 < 4 || x1 - x0 < 4) clipped++;
    centres.add(`${centre(y0, y1)},${centre(x0, x1)}`);
  }
  // Centres anywhere in the image (DeVries & Taylor): all 64 pixels occur, so some holes are cut.
  assert.equal(centres.size, 64);
  assert.ok(clipped > 0);
  // Sides drawn from a range stay within it (rounded to pixels).
  for (const box of drawCutouts(7, 500, 20, 10, 1, [0.2, 0.6])) {
    const [y0, y1, x0, x1] = box!;
    assert.ok(y1 - y0 <= 6 && x1 - x0 <= 6 && (y1 - y0 >= 2 || y0 === 0 || y1 === 20));
  }
});

Deno.test("cutout() keeps shape and [0, 1], is deterministic, p = 0 is the identity and p = 1 cuts all", () => {
  let runs = 0;
  fc.assert(
    fc.property(
      batchSamples(),
      fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.double({ min: 0.01, max: 1, noNaN: true }),
      ({ shape, values }, seed, p, size) =>
        withBatch(shape, values, (x) => {
          runs++;
          const out = cutout(x, { seed, p, size });
          const again = cutout(x, { seed, p, size });
          assert.deepEqual(out.shape, shape);
          assert.ok(sameBits(bits(out), bits(again)));
          assert.ok(Array.from(out.dataSync()).every((v) => v >= 0 && v <= 1));
          const none = cutout(x, { seed, p: 0, size });
          assert.ok(sameBits(bits(none), bits(x)));
          const all = cutout(x, { seed, p: 1, size });
          const [n, h, w] = shape;
          const boxes = drawCutouts(seed, n, h, w, 1, [size, size]);
          assert.ok(boxes.every((b) => b !== null));
          const expected = x.arraySync().map((img, i) => refCutout(img, boxes[i]!));
          assert.deepEqual(all.arraySync(), expected);
          tf.dispose([out, again, none, all]);
        }),
    ),
    { numRuns: 100 },
  );
  assert.equal(runs, 100);
});

Deno.test("cutout() with different seeds cuts different holes", () => {
  const images = randomBatch([8, 8, 8, 1], 2);
  fc.assert(
    fc.property(fc.integer(), fc.integer(), (a, b) => {
      fc.pre(a !== b);
      const [x, y] = [cutout(images, { seed: a }), cutout(images, { seed: b })];
      // All 8 centres agree with probability 64^-8.
      assert.ok(!sameBits(bits(x), bits(y)));
      tf.dispose([x, y]);
    }),
    { numRuns: 50 },
  );
  images.dispose();
});

Deno.test("cutout() rejects a bad size, p and seed", () => {
  const images = randomBatch([2, 4, 4, 3], 1);
  const cases: [() => unknown, string, string][] = [
    [
      () => cutout(images, { seed: 1, size: 0 }),
      "RangeError",
      "cutout(): size must be a finite number <= 1 and > 0, got 0",
    ],
    [
      () => cutout(images, { seed: 1, size: [0.5, 0.2] }),
      "RangeError",
      "cutout(): size must be a range with lo <= hi, got [0.5, 0.2]",
    ],
    [
      () => cutout(images, { seed: 1, size: [0.5, 2] }),
      "RangeError",
      "cutout(): size[1] must be a finite number <= 1 and > 0, got 2",
    ],
    [
      () => cutout(images, { seed: 1, size: "half" as never }),
      "TypeError",
      'cutout(): size must be a number or a [lo, hi] pair of numbers, got "half"',
    ],
    [
      () => cutout(images, { seed: 1, p: -1 }),
      "RangeError",
      "cutout(): p must be a finite number in [0, 1], got -1",
    ],
    [
      () => cutout(images, { seed: 0.5 }),
      "RangeError",
      "cutout(): seed must be a safe integer, got 0.5",
    ],
  ];
  for (const [call, name, message] of cases) assert.throws(call, { name, message });
  assert.equal(cases.length, 6);
  images.dispose();
});
