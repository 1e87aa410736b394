import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { deriveSeed } from "@selfsup/internal";
import { sameBits } from "../internal/testing.ts";
import {
  augmentView,
  byolRecipes,
  byolViews,
  cutout,
  gaussianNoise,
  randomRotation,
  simclrRecipe,
  simclrViews,
  smallImageViews,
  sobelFilter,
  type ViewRecipe,
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

Deno.test("the presets' cropScale bounds the crops' area: [1, 1] keeps the whole image, flipped or not", () => {
  const images = randomBatch([6, 10, 10, 1], 7);
  const original = images.arraySync() as number[][][][];
  const flipped = original.map((image) => image.map((row) => row.slice().reverse()));
  const close = (a: number[][][], b: number[][][]) =>
    a.flat(2).every((v, i) => Math.abs(v - b.flat(2)[i]!) <= 1e-6);
  // Strength 0: the colour steps change nothing, so only the crop and the flip act.
  const presets = [
    (o: { seed: number; cropScale?: [number, number] }) =>
      smallImageViews(images, { ...o, strength: 0 }),
    (o: { seed: number; cropScale?: [number, number] }) =>
      simclrViews(images, { ...o, strength: 0, blur: false }),
  ];
  for (const make of presets) {
    let flips = 0;
    for (const view of make({ seed: 3, cropScale: [1, 1] }).map(take) as number[][][][][]) {
      view.forEach((image, i) => {
        const same = close(image, original[i]!);
        assert.ok(same || close(image, flipped[i]!), `image ${i} is not the whole image`);
        if (!same) flips++;
      });
    }
    assert.ok(flips > 0 && flips < 12, `flips ${flips}`);
    // The default range (area from 0.08) crops: some image is neither.
    const cropped = (make({ seed: 3 }).map(take) as number[][][][][]).flat().filter((image, k) =>
      !close(image, original[k % 6]!) && !close(image, flipped[k % 6]!)
    );
    assert.ok(cropped.length > 0);
  }
  assert.deepEqual(simclrRecipe({ cropScale: [0.3, 0.9] }).scale, [0.3, 0.9]);
  images.dispose();
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
      () => simclrViews(images, { seed: 1, cropScale: [0, 1] }),
      "RangeError",
      /^simclrViews\(\): cropScale/,
    ],
    [
      () => byolViews(images, { seed: 1, cropScale: [0.5, 1.5] }),
      "RangeError",
      /^byolViews\(\): cropScale/,
    ],
    [
      () => simclrRecipe({ cropScale: [0.9, 0.2] }),
      "RangeError",
      /^simclrRecipe\(\): cropScale/,
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
  assert.equal(cases.length, 16);
  tf.dispose([images, twoChannels, ints, big]);
});

const bits = (t: tf.Tensor) => [t.dataSync() as Float32Array];

/** SHA-256 of a tensor's float32 bytes, in hex. */
async function sha256(t: tf.Tensor): Promise<string> {
  const bytes = Float32Array.from(t.dataSync());
  const digest = await crypto.subtle.digest("SHA-256", bytes.buffer);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("the presets give bit-identical views to before the study's four steps were added", async () => {
  // Hashes taken with the code at commit 8a35b45, before ViewRecipe had rotation, sobel, cutout
  // and noise, on tfjs's cpu backend: the new steps must not move any existing seed stream.
  await tf.setBackend("cpu");
  const color = randomBatch([4, 16, 16, 3], 5);
  const gray = randomBatch([4, 28, 28, 1], 6);
  const cases: [string, tf.Tensor[], string[]][] = [
    ["simclrViews color", simclrViews(color, { seed: 42, size: 12 }), [
      "46f754c013e48ed94a96b6e546c57580f1e56a410852d88ecf6ea5b33ce4b4c3",
      "3d2c147ee68a57a9b060f1e199fa5abbc50a4d3d717579a3f03101c8e08161bb",
    ]],
    ["byolViews color", byolViews(color, { seed: 42 }), [
      "7e14c6173259b84b12078cd67d18ea774b8b682759669b8e209a784220a80022",
      "f7d93d6ee7d43edcda8c47fd044f9cdeaa55f23985a82d675d92db5b4de0dfb2",
    ]],
    ["smallImageViews gray", smallImageViews(gray, { seed: 42 }), [
      "e36456fffb242c5136ab9dc301711b4d02aad9a14c4ee1522438e7b87718bc7f",
      "a2fd1c02164f17f64abb5e1fd51a99179c6b9024186bb158626b709368946a71",
    ]],
    ["smallImageViews color", smallImageViews(color, { seed: 43 }), [
      "df661bb13b62b895fb24e17480a7fe09c6cfc32e9180aaee690944f5f18fb391",
      "9b6033ee7c2a3931662b206ccb63fecefa3855dbe9734cc8f75abb60dd1798c2",
    ]],
    ["simclrViews gray", simclrViews(gray, { seed: 44 }), [
      "8356c53d1340a6bddd96e71b82cfc09be375bbabd7c97a9670b8fd590ea8f266",
      "1d0b13640a5f6b4da332c85fe7aa9425312a86a183f34176b3c56c966f4850a3",
    ]],
    ["augmentView color", [augmentView(color, { seed: 45, recipe: simclrRecipe() })], [
      "9a40a4195a3dd7e724751c66753a1f5ad96f7e7b2659af2538cb36c008a1f93a",
    ]],
  ];
  for (const [name, views, hashes] of cases) {
    assert.deepEqual(await Promise.all(views.map(sha256)), hashes, name);
    tf.dispose(views);
  }
  assert.equal(cases.length, 6);
  tf.dispose([color, gray]);
});

/** A recipe whose own steps do nothing: a full crop, no flip, jitter, grayscale or blur. */
const still: ViewRecipe = {
  ...simclrRecipe(),
  scale: [1, 1],
  ratio: [1, 1],
  flip: 0,
  jitterP: 0,
  grayscale: 0,
  blur: 0,
};

Deno.test("augmentView() runs rotation, Sobel, cutout and noise in that order, each from its own stream", () => {
  const images = randomBatch([6, 8, 8, 3], 7);
  const seed = 11;
  // Stream tags 7 to 10 after the six of the papers' steps.
  const rotated = randomRotation(images, { seed: deriveSeed(seed, 7), p: 0.5 });
  const filtered = sobelFilter(rotated, { seed: deriveSeed(seed, 8), p: 0.5 });
  const cut = cutout(filtered, { seed: deriveSeed(seed, 9), p: 0.5 });
  const noisy = gaussianNoise(cut, { seed: deriveSeed(seed, 10), p: 0.5 });
  // Each step changes some image, so a step run out of order would change the view.
  const steps = [images, rotated, filtered, cut, noisy];
  steps.slice(1).forEach((t, k) => assert.ok(!sameBits(bits(t), bits(steps[k])), `step ${k}`));
  const recipe = { ...still, rotation: 0.5, sobel: 0.5, cutout: 0.5, noise: 0.5 };
  assert.deepEqual(take(augmentView(images, { seed, recipe })), noisy.arraySync());
  // Each alone, as the public function with the same stream.
  const alone: [keyof ViewRecipe, tf.Tensor4D][] = [
    ["rotation", randomRotation(images, { seed: deriveSeed(seed, 7) })],
    ["sobel", sobelFilter(images, { seed: deriveSeed(seed, 8) })],
    ["cutout", cutout(images, { seed: deriveSeed(seed, 9) })],
    ["noise", gaussianNoise(images, { seed: deriveSeed(seed, 10) })],
  ];
  for (const [key, expected] of alone) {
    assert.deepEqual(
      take(augmentView(images, { seed, recipe: { ...still, [key]: 1 } })),
      take(expected),
      key,
    );
  }
  assert.equal(alone.length, 4);
  tf.dispose([images, rotated, filtered, cut, noisy]);
});

Deno.test("augmentView() treats an absent study step as probability 0, bit for bit", () => {
  const images = randomBatch([3, 10, 10, 3], 8);
  const zeros = { ...simclrRecipe(), rotation: 0, sobel: 0, cutout: 0, noise: 0 };
  const a = take(augmentView(images, { seed: 3, size: 8, recipe: simclrRecipe() }));
  assert.deepEqual(take(augmentView(images, { seed: 3, size: 8, recipe: zeros })), a);
  images.dispose();
});

Deno.test("augmentView() rejects a rotation with a view that is not square, and bad probabilities", () => {
  const images = randomBatch([1, 4, 6, 3], 1);
  const cases: [() => unknown, string, string][] = [
    [
      () => augmentView(images, { seed: 1, size: [4, 6], recipe: { ...still, rotation: 0.5 } }),
      "RangeError",
      "augmentView(): size must be square (height = width) when recipe.rotation > 0, got [4, 6]",
    ],
    [
      () => augmentView(images, { seed: 1, recipe: { ...still, rotation: 1 } }),
      "RangeError",
      "augmentView(): images must be square (H = W) when recipe.rotation > 0 and no size is given, got a float32 tensor of shape [1,4,6,3]",
    ],
    [
      () => augmentView(images, { seed: 1, recipe: { ...still, noise: 1.5 } }),
      "RangeError",
      "augmentView(): recipe.noise must be a finite number in [0, 1], got 1.5",
    ],
    [
      () => augmentView(images, { seed: 1, recipe: { ...still, sobel: "1" as never } }),
      "TypeError",
      'augmentView(): recipe.sobel must be a finite number in [0, 1], got "1"',
    ],
  ];
  for (const [call, name, message] of cases) assert.throws(call, { name, message });
  assert.equal(cases.length, 4);
  // A square size makes a non-square batch rotatable.
  const view = augmentView(images, { seed: 1, size: 4, recipe: { ...still, rotation: 1 } });
  assert.deepEqual(view.shape, [1, 4, 4, 3]);
  tf.dispose([images, view]);
});
