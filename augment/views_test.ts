import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import {
  augmentView,
  byolRecipes,
  byolViews,
  simclrRecipe,
  simclrViews,
  smallImageViews,
} from "./mod.ts";
import { randomBatch, take } from "./_testing.ts";

tf.enableProdMode();

Deno.test("simclrViews() gives two different views of the requested size in [0, 1]", () => {
  const images = randomBatch([3, 16, 16, 3], 1);
  const [a, b] = simclrViews(images, { seed: 5, size: 12 });
  assert.deepEqual(a.shape, [3, 12, 12, 3]);
  assert.deepEqual(b.shape, [3, 12, 12, 3]);
  const [va, vb] = [take(a), take(b)];
  assert.notDeepEqual(va, vb);
  for (const v of [...va.flat(3), ...vb.flat(3)]) assert.ok(v >= 0 && v <= 1);
  images.dispose();
});

Deno.test("the presets are deterministic per seed and leak no tensor", () => {
  const images = randomBatch([2, 12, 12, 3], 2);
  for (const make of [simclrViews, byolViews, smallImageViews]) {
    const before = tf.memory().numTensors;
    const first = make(images, { seed: 8 }).map(take);
    assert.equal(tf.memory().numTensors, before);
    assert.deepEqual(make(images, { seed: 8 }).map(take), first);
    assert.notDeepEqual(make(images, { seed: 9 }).map(take), first);
  }
  images.dispose();
});

Deno.test("byolViews() differ in blur and solarization as BYOL's table 6", () => {
  const [first, second] = byolRecipes();
  assert.deepEqual([first.blur, first.solarize, second.blur, second.solarize], [1, 0, 0.1, 0.2]);
  assert.deepEqual(first.jitter, {
    brightness: 0.4,
    contrast: 0.4,
    saturation: 0.2,
    hue: 0.1,
    brightnessMode: "additive",
  });
  const simclr = simclrRecipe({ strength: 0.5, blur: false });
  assert.deepEqual([simclr.jitter.brightness, simclr.jitter.hue, simclr.blur], [0.4, 0.1, 0]);
});

Deno.test("augmentView() with every probability 0 and a full crop is the identity", () => {
  const images = randomBatch([2, 6, 6, 3], 3);
  const view = augmentView(images, {
    seed: 1,
    size: 6,
    recipe: {
      ...simclrRecipe(),
      scale: [1, 1],
      ratio: [1, 1],
      flip: 0,
      jitterP: 0,
      grayscale: 0,
      blur: 0,
    },
  });
  assert.deepEqual(take(view), images.arraySync());
  images.dispose();
});

Deno.test("augmentView() with p = 1 flip, grayscale and solarize applies all three", () => {
  const images = randomBatch([2, 5, 5, 3], 4);
  const view = take(augmentView(images, {
    seed: 1,
    size: 5,
    recipe: {
      ...simclrRecipe(),
      scale: [1, 1],
      ratio: [1, 1],
      flip: 1,
      jitterP: 0,
      grayscale: 1,
      blur: 0,
      solarize: 1,
    },
  }));
  const expected = images.arraySync().map((img) =>
    img.map((row) =>
      [...row].reverse().map(([r, g, b]) => {
        const y = 0.299 * r + 0.587 * g + 0.114 * b;
        return [y, y, y].map((v) => v < 0.5 ? v : 1 - v);
      })
    )
  );
  view.flat(3).forEach((v, k) => assert.ok(Math.abs(v - expected.flat(3)[k]) < 1e-6));
  images.dispose();
});

Deno.test("the presets reject bad input with named errors", () => {
  const images = randomBatch([1, 4, 4, 3], 1);
  const twoChannels = tf.zeros([1, 4, 4, 2]) as tf.Tensor4D;
  const ints = tf.zeros([1, 4, 4, 3], "int32") as tf.Tensor4D;
  const big = images.add(1) as tf.Tensor4D;
  const cases: [() => unknown, string, string | RegExp][] = [
    [
      () => simclrViews(twoChannels, { seed: 1 }),
      "RangeError",
      "simclrViews(): images must be a batch with C = 1 or 3, got a float32 tensor of shape [1,4,4,2]",
    ],
    [
      () => simclrViews(ints, { seed: 1 }),
      "TypeError",
      "simclrViews(): images must be of dtype float32, got an int32 tensor of shape [1,4,4,3]",
    ],
    [
      () => smallImageViews(big, { seed: 1 }),
      "RangeError",
      /^smallImageViews\(\): images must be in \[0, 1\], got values in \[1\.\d+, 1\.\d+\]$/,
    ],
    [
      () => simclrViews(images, { seed: 1, size: 0 }),
      "RangeError",
      "simclrViews(): size must be an integer >= 1 or a [height, width] pair of them, got 0",
    ],
    [
      () => simclrViews(images, { seed: 1, strength: -1 }),
      "RangeError",
      "simclrViews(): strength must be a finite number in [0, 2.5], got -1",
    ],
    [
      // Issue 15 item 9: this said "augmentView: hue must be in [0, 0.5], got 1".
      () => simclrViews(images, { seed: 1, strength: 5 }),
      "RangeError",
      "simclrViews(): strength must be a finite number in [0, 2.5], got 5",
    ],
    [
      () => smallImageViews(images, { seed: 1, blur: 1 as unknown as boolean }),
      "TypeError",
      "smallImageViews(): blur must be a boolean, got 1",
    ],
    [
      () => byolViews(images, { seed: "1" as unknown as number }),
      "TypeError",
      'byolViews(): seed must be a safe integer, got "1"',
    ],
    [
      () => augmentView(images, { seed: 1, recipe: { ...simclrRecipe(), grayscale: 2 } }),
      "RangeError",
      "augmentView(): recipe.grayscale must be a finite number in [0, 1], got 2",
    ],
    [
      () =>
        augmentView(images, {
          seed: 1,
          recipe: { ...simclrRecipe(), jitter: { ...simclrRecipe().jitter, hue: 1 } },
        }),
      "RangeError",
      "augmentView(): recipe.jitter.hue must be a finite number in [0, 0.5], got 1",
    ],
    [
      () => augmentView(images, { seed: 1, recipe: { ...simclrRecipe(), scale: [0, 1] } }),
      "RangeError",
      "augmentView(): recipe.scale[0] must be a finite number <= 1 and > 0, got 0",
    ],
    [
      () => augmentView(images, { seed: 1 } as never),
      "TypeError",
      "augmentView(): recipe must be an object, got undefined",
    ],
    [
      () => simclrRecipe({ strength: 3 }),
      "RangeError",
      "simclrRecipe(): strength must be a finite number in [0, 2.5], got 3",
    ],
  ];
  for (const [call, name, message] of cases) assert.throws(call, { name, message });
  assert.equal(cases.length, 13);
  tf.dispose([images, twoChannels, ints, big]);
});
