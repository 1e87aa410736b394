// Property tests of @selfsup/augment (fast-check, 100 runs each, tiny images so they are fast).
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import assert from "node:assert/strict";
import {
  adjustBrightness,
  adjustContrast,
  augmentView,
  byolViews,
  flipLeftRight,
  gaussianBlur,
  grayscale,
  randomColorJitter,
  randomFlip,
  randomGaussianBlur,
  randomGrayscale,
  randomResizedCrop,
  randomSolarize,
  resizedCrop,
  simclrRecipe,
  simclrViews,
  smallImageViews,
  solarize,
} from "../augment/mod.ts";
import { drawJitter } from "../augment/_random_transforms.ts";

tf.enableProdMode();

const RUNS = { numRuns: 100 };

/** A small batch: N, H, W in [1, 5], C = 1 or 3, values in [0, 1] (some exactly 0 or 1). */
const batch = fc.record({
  n: fc.integer({ min: 1, max: 3 }),
  h: fc.integer({ min: 1, max: 5 }),
  w: fc.integer({ min: 1, max: 5 }),
  c: fc.constantFrom(1, 3),
  seed: fc.integer({ min: 0, max: 2 ** 31 }),
}).chain((s) =>
  fc.array(fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(0, 1)), {
    minLength: s.n * s.h * s.w * s.c,
    maxLength: s.n * s.h * s.w * s.c,
  }).map((values) => ({ ...s, values }))
);

type Sample = { n: number; h: number; w: number; c: number; values: number[] };

/** Runs `body` on the batch as a tensor, disposes it and checks that nothing leaked. */
function withImages(s: Sample, body: (x: tf.Tensor4D) => void): void {
  const before = tf.memory().numTensors;
  const x = tf.tensor4d(s.values, [s.n, s.h, s.w, s.c]);
  try {
    body(x);
  } finally {
    x.dispose();
  }
  assert.equal(tf.memory().numTensors, before, "leaked tensors");
}

function read(t: tf.Tensor): Float32Array {
  const v = t.dataSync() as Float32Array;
  t.dispose();
  return v;
}

const probability = fc.double({ min: 0, max: 1, noNaN: true });
const seed = fc.integer({ min: -(2 ** 40), max: 2 ** 40 });

Deno.test("every transform and preset keeps the shape (or the requested size) and [0, 1]", () => {
  fc.assert(
    fc.property(
      batch,
      seed,
      probability,
      fc.integer({ min: 1, max: 6 }),
      fc.double({ min: 0, max: 2, noNaN: true }),
      (s, sd, p, size, strength) =>
        withImages(s, (x) => {
          const same = [s.n, s.h, s.w, s.c];
          const outs: [tf.Tensor, number[]][] = [
            [randomResizedCrop(x, { seed: sd, size }), [s.n, size, size, s.c]],
            [randomFlip(x, { seed: sd, p }), same],
            [randomColorJitter(x, { seed: sd, p }), same],
            [randomGrayscale(x, { seed: sd, p }), same],
            [randomGaussianBlur(x, { seed: sd, p }), same],
            [randomSolarize(x, { seed: sd, p }), same],
            ...simclrViews(x, { seed: sd, size, strength }).map((
              v,
            ) => [v, [s.n, size, size, s.c]] as [tf.Tensor, number[]]),
            ...byolViews(x, { seed: sd, size }).map((
              v,
            ) => [v, [s.n, size, size, s.c]] as [tf.Tensor, number[]]),
          ];
          for (const [out, shape] of outs) {
            assert.deepEqual(out.shape, shape);
            assert.equal(out.dtype, "float32");
            assert.ok(read(out).every((v) => v >= 0 && v <= 1));
          }
        }),
    ),
    RUNS,
  );
});

Deno.test("the same seed gives the same views and another seed other views", () => {
  // Images of at least 3x3 with distinct values, so another crop box is visible.
  const distinct = fc.record({
    n: fc.integer({ min: 1, max: 2 }),
    c: fc.constantFrom(1, 3),
    seed: fc.integer({ min: 0, max: 1000 }),
  });
  fc.assert(
    fc.property(distinct, seed, seed, (s, a, b) => {
      fc.pre(a !== b);
      const x = tf.randomUniform([s.n, 6, 6, s.c], 0, 1, "float32", s.seed) as tf.Tensor4D;
      const views = (sd: number) =>
        smallImageViews(x, { seed: sd }).map((v) => Array.from(read(v)));
      assert.deepEqual(views(a), views(a));
      assert.notDeepEqual(views(a), views(b));
      x.dispose();
    }),
    RUNS,
  );
});

Deno.test("p = 0 is the identity and p = 1 always applies, for every random transform", () => {
  fc.assert(
    fc.property(batch, seed, (s, sd) =>
      withImages(s, (x) => {
        const original = Array.from(x.dataSync());
        const radius = Math.min(s.h, s.w) > 1 ? 1 : 0;
        // Fixed sigma and brightness-only jitter, so "applied" has one known result.
        const brightnessOnly = { brightness: 0.5, contrast: 0, saturation: 0, hue: 0 };
        const apply = (p: number) => [
          randomFlip(x, { seed: sd, p }),
          randomGrayscale(x, { seed: sd, p }),
          randomSolarize(x, { seed: sd, p }),
          randomGaussianBlur(x, { seed: sd, p, radius, sigma: [1, 1] }),
          randomColorJitter(x, { seed: sd, p, ...brightnessOnly }),
        ];
        for (const out of apply(0)) assert.deepEqual(Array.from(read(out)), original);
        const factors = drawJitter(sd, s.n, 1, brightnessOnly).params[0];
        const expected = [
          flipLeftRight(x),
          grayscale(x),
          solarize(x),
          gaussianBlur(x, new Array(s.n).fill(1), { radius }),
          adjustBrightness(x, factors),
        ].map(read);
        apply(1).map(read).forEach((out, k) => assert.deepEqual(out, expected[k]));
      })),
    RUNS,
  );
});

Deno.test("flipping twice is the identity", () => {
  fc.assert(
    fc.property(batch, (s) =>
      withImages(s, (x) => {
        const once = flipLeftRight(x);
        assert.deepEqual(Array.from(read(flipLeftRight(once))), Array.from(x.dataSync()));
        once.dispose();
      })),
    RUNS,
  );
});

Deno.test("a crop whose box is the whole image, at the same size, is the identity", () => {
  fc.assert(
    fc.property(batch, (s) =>
      withImages(s, (x) => {
        const boxes = Array.from({ length: s.n }, () => [0, 0, 1, 1] as [0, 0, 1, 1]);
        const out = read(resizedCrop(x, boxes, [s.h, s.w]));
        assert.deepEqual(Array.from(out), Array.from(x.dataSync()));
        // And a whole-image random crop (scale 1, ratio of the image itself) also is.
        const ratio = s.w / s.h;
        const crop = randomResizedCrop(x, { seed: 1, scale: [1, 1], ratio: [ratio, ratio] });
        const values = read(crop);
        Array.from(x.dataSync()).forEach((v, k) => assert.ok(Math.abs(values[k] - v) < 1e-5));
      })),
    RUNS,
  );
});

Deno.test("grayscale of a grayscale image is unchanged", () => {
  fc.assert(
    fc.property(batch, (s) =>
      withImages(s, (x) => {
        const once = grayscale(x);
        const twice = read(grayscale(once));
        const first = read(once);
        first.forEach((v, k) => assert.ok(Math.abs(twice[k] - v) < 1e-6));
      })),
    RUNS,
  );
});

Deno.test("brightness and contrast of strength 0 are the identity", () => {
  fc.assert(
    fc.property(batch, seed, (s, sd) =>
      withImages(s, (x) => {
        const original = Array.from(x.dataSync());
        const ones = new Array(s.n).fill(1);
        assert.deepEqual(Array.from(read(adjustBrightness(x, ones))), original);
        assert.deepEqual(Array.from(read(adjustContrast(x, ones))), original);
        const zero = { brightness: 0, contrast: 0, saturation: 0, hue: 0 };
        const jitter = randomColorJitter(x, { seed: sd, ...zero, p: 1 });
        assert.deepEqual(Array.from(read(jitter)), original);
        // A view with no colour strength and whole-image crops only flips.
        const view = augmentView(x, {
          seed: sd,
          size: [s.h, s.w],
          recipe: {
            ...simclrRecipe({ strength: 0, blur: false }),
            scale: [1, 1],
            ratio: [s.w / s.h, s.w / s.h],
            flip: 0,
            grayscale: 0,
          },
        });
        const values = read(view);
        original.forEach((v, k) => assert.ok(Math.abs(values[k] - v) < 1e-5));
      })),
    RUNS,
  );
});

Deno.test("blur preserves a constant image", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 1, max: 12 }),
      fc.constantFrom(1, 3),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.double({ min: 0.1, max: 5, noNaN: true }),
      (n, side, c, value, sigma) => {
        const x = tf.fill([n, side, side + 1, c], value) as tf.Tensor4D;
        const radius = Math.min(side - 1, 4);
        const out = read(gaussianBlur(x, new Array(n).fill(sigma), { radius }));
        assert.ok(out.every((v) => Math.abs(v - value) < 2e-6));
        x.dispose();
      },
    ),
    RUNS,
  );
});
