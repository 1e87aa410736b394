import assert from "node:assert/strict";
import fc from "fast-check";
import * as tf from "@tensorflow/tfjs";
import {
  byolRecipes,
  simclrRecipe,
  simclrViews as imagenetViews,
  smallImageViews,
} from "@selfsup/augment";
import { AUGMENTATIONS } from "../settings.ts";
import { listedRecipe, listedViews } from "./listed_views.ts";

tf.enableProdMode();

const SMALL = simclrRecipe({ strength: 0.5, blur: false });

function images(shape: [number, number, number, number], seed: number): tf.Tensor4D {
  return tf.randomUniform(shape, 0, 1, "float32", seed) as tf.Tensor4D;
}

Deno.test("listedViews() of exactly a preset's transforms gives that preset's views bit for bit", () => {
  const x28 = images([6, 28, 28, 1], 1);
  const x40 = images([4, 40, 40, 3], 2);
  try {
    const cases = [
      {
        x: x28,
        list: ["crop", "flip", "color", "grayscale"] as const,
        presets: [SMALL],
        expected: () => smallImageViews(x28, { seed: 9, strength: 0.5 }),
      },
      {
        x: x40,
        list: ["grayscale", "blur", "color", "flip", "crop"] as const,
        presets: [simclrRecipe({ strength: 1 })],
        expected: () => imagenetViews(x40, { seed: 9 }),
      },
    ];
    for (const { x, list, presets, expected } of cases) {
      const size: [number, number] = [x.shape[1], x.shape[2]];
      const ours = listedViews(list, () => presets)(x, { seed: 9, size, checkValues: true });
      const theirs = expected();
      for (let v = 0; v < 2; v++) assert.deepEqual(ours[v].dataSync(), theirs[v].dataSync());
      tf.dispose([...ours, ...theirs]);
    }
  } finally {
    tf.dispose([x28, x40]);
  }
});

Deno.test("listedRecipe() takes the preset's probabilities, else the papers', else 1; the rest off", () => {
  const all = listedRecipe(AUGMENTATIONS, [SMALL], [28, 28]);
  assert.deepEqual(all, {
    scale: [0.08, 1],
    ratio: [3 / 4, 4 / 3],
    flip: 0.5,
    jitter: SMALL.jitter,
    jitterP: 0.8,
    grayscale: 0.2,
    // The small-image preset has no blur: SimCLR's ImageNet views' 0.5; solarize is BYOL's.
    blur: 0.5,
    solarize: 0.2,
    rotation: 1,
    sobel: 1,
    cutout: 1,
    noise: 1,
  });
  // BYOL's two views: one recipe at the larger of their probabilities (blur 1 / 0.1,
  // solarize 0 / 0.2), its additive jitter.
  const [a, b] = byolRecipes();
  const byol = listedRecipe(["blur", "solarize", "color"], [a, b], [96, 96]);
  assert.deepEqual([byol.blur, byol.solarize, byol.jitterP], [1, 0.2, 0.8]);
  assert.equal(byol.jitter.brightnessMode, "additive");
  fc.assert(
    fc.property(fc.subarray([...AUGMENTATIONS]), (list) => {
      const r = listedRecipe(list, [SMALL], [28, 28]);
      const on = (p: number | undefined) => (p ?? 0) > 0;
      assert.equal(on(r.flip), list.includes("flip"));
      assert.equal(on(r.jitterP), list.includes("color"));
      assert.equal(on(r.grayscale), list.includes("grayscale"));
      assert.equal(on(r.blur), list.includes("blur"));
      assert.equal(on(r.solarize), list.includes("solarize"));
      for (const study of ["rotation", "sobel", "cutout", "noise"] as const) {
        assert.equal(r[study] ?? 0, list.includes(study) ? 1 : 0, study);
      }
      assert.deepEqual(r.scale, list.includes("crop") ? [0.08, 1] : [1, 1]);
    }),
  );
});

Deno.test("listedViews() without crop keeps the whole image: flip alone gives each image or its mirror", () => {
  for (const [h, w] of [[28, 28], [12, 20]] as const) {
    const x = images([16, h, w, 1], 3);
    const [v1, v2] = listedViews(["flip"], () => [SMALL])(x, {
      seed: 4,
      size: [h, w],
      checkValues: true,
    });
    const mirror = tf.reverse(x, 2);
    let flipped = 0;
    for (const view of [v1, v2]) {
      for (let i = 0; i < 16; i++) {
        const got = tf.slice(view, [i, 0, 0, 0], [1, h, w, 1]);
        const same = tf.slice(x, [i, 0, 0, 0], [1, h, w, 1]);
        const turned = tf.slice(mirror, [i, 0, 0, 0], [1, h, w, 1]);
        const d0 = tf.max(tf.abs(got.sub(same))).dataSync()[0];
        const d1 = tf.max(tf.abs(got.sub(turned))).dataSync()[0];
        assert.ok(Math.min(d0, d1) < 1e-6, `${h}x${w} image ${i}: ${d0}, ${d1}`);
        if (d1 < 1e-6 && d0 >= 1e-6) flipped += 1;
        tf.dispose([got, same, turned]);
      }
    }
    // p = 0.5 over 32 views: some flipped, some not.
    assert.ok(flipped > 0 && flipped < 32, `${flipped} flipped`);
    tf.dispose([x, v1, v2, mirror]);
  }
});

Deno.test("listedViews() draws the two views from their own streams, the same for the same seed", () => {
  const x = images([4, 28, 28, 1], 5);
  const views = listedViews(["crop", "noise", "rotation"], () => [SMALL]);
  const o = { seed: 11, size: [28, 28] as [number, number], checkValues: false };
  const [a1, a2] = views(x, o);
  const [b1, b2] = views(x, o);
  assert.deepEqual(a1.dataSync(), b1.dataSync());
  assert.deepEqual(a2.dataSync(), b2.dataSync());
  assert.notDeepEqual(a1.dataSync(), a2.dataSync());
  tf.dispose([x, a1, a2, b1, b2]);
});
