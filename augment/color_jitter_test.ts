import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { randomColorJitter } from "./mod.ts";
import { drawJitter } from "./_random_transforms.ts";
import {
  type Batch,
  maxDiff,
  randomBatch,
  refBrightness,
  refContrast,
  refHue,
  refSaturation,
  take,
} from "./_testing.ts";

tf.enableProdMode();

const strengths = { brightness: 0.8, contrast: 0.8, saturation: 0.8, hue: 0.2 };

Deno.test("randomColorJitter() applies each image's components in its own drawn order", () => {
  const n = 24;
  const images = randomBatch([n, 3, 3, 3], 12);
  const { applied, orders, params } = drawJitter(77, n, 0.8, strengths);
  // Independent reference: one image at a time, components in the drawn order, float64.
  const refs = [refBrightness, refContrast, refSaturation, refHue];
  const expected: Batch = images.arraySync().map((img, i) => {
    if (!applied[i]) return img;
    let one: Batch = [img];
    for (const t of orders[i]) one = refs[t](one, [params[t][i]]);
    return one[0];
  });
  const got = take(randomColorJitter(images, { seed: 77, ...strengths, p: 0.8 }));
  assert.ok(maxDiff(got, expected) < 1e-5, `diff ${maxDiff(got, expected)}`);
  images.dispose();
});

Deno.test("drawJitter() draws factors in range and orders that differ between images", () => {
  const { orders, params } = drawJitter(3, 200, 1, strengths);
  assert.ok(params[0].every((f) => f >= 0.2 && f <= 1.8));
  assert.ok(params[3].every((d) => d >= -0.2 && d <= 0.2));
  assert.ok(new Set(orders.map((o) => o.join())).size > 20);
  const additive = drawJitter(3, 200, 1, { ...strengths, brightnessMode: "additive" });
  assert.ok(additive.params[0].every((d) => d >= -0.8 && d <= 0.8));
  assert.ok(additive.params[0].some((d) => d < 0));
});

Deno.test("randomColorJitter() on C = 1 changes only brightness and contrast", () => {
  const n = 6;
  const images = randomBatch([n, 3, 3, 1], 4);
  const { orders, params } = drawJitter(5, n, 1, strengths);
  const expected = images.arraySync().map((img, i) => {
    let one: Batch = [img];
    for (const t of orders[i]) {
      if (t === 0) one = refBrightness(one, [params[0][i]]);
      if (t === 1) one = refContrast(one, [params[1][i]]);
    }
    return one[0];
  });
  const got = take(randomColorJitter(images, { seed: 5, p: 1 }));
  assert.ok(maxDiff(got, expected) < 1e-5);
  images.dispose();
});

Deno.test("randomColorJitter() with every strength 0 or p = 0 is the identity", () => {
  const images = randomBatch([4, 3, 3, 3], 9);
  const zero = { brightness: 0, contrast: 0, saturation: 0, hue: 0 };
  assert.deepEqual(take(randomColorJitter(images, { seed: 1, ...zero, p: 1 })), images.arraySync());
  assert.deepEqual(take(randomColorJitter(images, { seed: 1, p: 0 })), images.arraySync());
  images.dispose();
});

Deno.test("randomColorJitter() rejects bad strengths and modes", () => {
  const images = randomBatch([1, 2, 2, 3], 1);
  assert.throws(() => randomColorJitter(images, { seed: 1, hue: 0.6 }), {
    name: "RangeError",
    message: "randomColorJitter(): hue must be a finite number in [0, 0.5], got 0.6",
  });
  assert.throws(() => randomColorJitter(images, { seed: 1, contrast: -1 }), {
    name: "RangeError",
    message: "randomColorJitter(): contrast must be a finite number >= 0, got -1",
  });
  assert.throws(
    () => randomColorJitter(images, { seed: 1, brightnessMode: "gamma" as "additive" }),
    {
      name: "RangeError",
      message: 'randomColorJitter(): brightnessMode must be one of "multiplicative", "additive", ' +
        'got "gamma"',
    },
  );
  images.dispose();
});

Deno.test("drawJitter() draws what augment drew before @selfsup/internal's generator", () => {
  // Recorded with augment's own generator before the move: the same seed must keep giving the
  // same views.
  const { applied, orders, params } = drawJitter(7, 3, 0.8, strengths);
  assert.deepEqual(applied, [true, false, true]);
  assert.deepEqual(orders.map((o) => Array.from(o)), [[3, 1, 2, 0], [0, 3, 1, 2], [2, 0, 1, 3]]);
  assert.deepEqual(params.map((p) => Array.from(p)), [
    [0.9132554531097412, 0.4886225461959839, 1.7388652563095093],
    [0.8159437775611877, 0.8903559446334839, 0.8633960485458374],
    [0.9694914221763611, 0.7513431906700134, 0.9483180046081543],
    [-0.16649706661701202, -0.0579189769923687, 0.16380664706230164],
  ]);
});
