// jitterSteps: the per-image steps the fused colour-jitter kernel is given must be the changes
// the op chain makes to each image, so that a backend with the kernel gives the chain's views.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import fc from "fast-check";
import { brightnessKernel, contrastKernel, hueKernel, saturationKernel } from "./_kernels.ts";
import { drawJitter, type JitterDraws, jitterImages, jitterSteps } from "./_random_transforms.ts";
import type { ColorJitterStrengths } from "./color_jitter.ts";

tf.enableProdMode();

/** Draws for three images, all jittered, with the given orders and hue shifts. */
function threeImages(orders: number[][], hue: number[]): JitterDraws {
  return {
    applied: [true, true, true],
    orders: orders.map((o) => Int32Array.from(o)),
    params: [
      Float32Array.of(1.1, 1.2, 1.3),
      Float32Array.of(0.5, 0.6, 0.7),
      Float32Array.of(1.5, 1.6, 1.7),
      Float32Array.from(hue),
    ],
  };
}

Deno.test("jitterSteps() keeps each image's order and drops what the chain does not run", () => {
  const draws = threeImages([[0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2]], [0.1, -0.2, 0.3]);
  assert.deepEqual(
    Array.from(jitterSteps(draws, [true, true, true, true])),
    [0, 1, 2, 3, 3, 2, 1, 0, 1, 3, 0, 2],
  );
  // Image 1 not jittered; contrast inactive (strength 0, or saturation and hue for C = 1).
  draws.applied[1] = false;
  assert.deepEqual(
    Array.from(jitterSteps(draws, [true, false, true, true])),
    [0, -1, 2, 3, -1, -1, -1, -1, -1, 3, 0, 2],
  );
});

Deno.test("jitterSteps() drops hue in a slot only where every image it runs on has shift 0", () => {
  // Slot 3: images 0 and 2 rotate hue, image 0 by 0 and image 2 by 0.25, so the chain runs the
  // hue kernel on both (image 0's arithmetic included). Slot 0: only image 1, by 0: skipped.
  const draws = threeImages([[0, 1, 2, 3], [3, 2, 1, 0], [1, 2, 0, 3]], [0, 0, 0.25]);
  const all = [true, true, true, true];
  assert.deepEqual(Array.from(jitterSteps(draws, all)), [0, 1, 2, 3, -1, 2, 1, 0, 1, 2, 0, 3]);
  draws.params[3][2] = -0;
  assert.deepEqual(Array.from(jitterSteps(draws, all)), [0, 1, 2, -1, -1, 2, 1, 0, 1, 2, 0, -1]);
});

/** The chain's kernels run on one image at a time, following its steps. */
function stepByStep(
  images: tf.Tensor4D,
  draws: JitterDraws,
  steps: Int32Array,
  additive: boolean,
): tf.Tensor4D {
  return tf.tidy(() => {
    const kernels = [
      (x: tf.Tensor4D, v: number[]) => brightnessKernel(x, v, additive),
      contrastKernel,
      saturationKernel,
      hueKernel,
    ];
    const parts = Array.from({ length: images.shape[0] }, (_, i) => {
      let x = images.slice([i, 0, 0, 0], [1, -1, -1, -1]);
      for (let slot = 0; slot < 4; slot++) {
        const t = steps[4 * i + slot];
        if (t >= 0) x = kernels[t](x, [draws.params[t][i]]);
      }
      return x;
    });
    return tf.concat(parts, 0);
  });
}

Deno.test("jitterImages() on cpu equals each image run through its jitterSteps (property)", async () => {
  await tf.setBackend("cpu");
  const strength = fc.oneof(fc.constant(0), fc.double({ min: 0.01, max: 1, noNaN: true }));
  const cases = fc.record({
    n: fc.integer({ min: 1, max: 6 }),
    h: fc.integer({ min: 1, max: 4 }),
    w: fc.integer({ min: 1, max: 4 }),
    c: fc.constantFrom(1, 3),
    seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    p: fc.constantFrom(0, 0.5, 0.8, 1),
    brightness: strength,
    contrast: strength,
    saturation: strength,
    hue: fc.oneof(fc.constant(0), fc.double({ min: 0.01, max: 0.5, noNaN: true })),
    additive: fc.boolean(),
  });
  let runs = 0;
  let stepsRun = 0;
  fc.assert(
    fc.property(cases, (k) => {
      runs++;
      const s: ColorJitterStrengths = {
        brightness: k.brightness,
        contrast: k.contrast,
        saturation: k.saturation,
        hue: k.hue,
        brightnessMode: k.additive ? "additive" : "multiplicative",
      };
      const color = k.c === 3;
      const active = [
        s.brightness > 0,
        s.contrast > 0,
        color && s.saturation > 0,
        color && s.hue > 0,
      ];
      const draws = drawJitter(k.seed, k.n, k.p, s);
      const steps = jitterSteps(draws, active);
      stepsRun += steps.filter((t) => t >= 0).length;
      const images = tf.randomUniform([k.n, k.h, k.w, k.c], 0, 1, "float32", k.seed) as tf.Tensor4D;
      const got = jitterImages(images, k.seed, k.p, s);
      const want = stepByStep(images, draws, steps, k.additive);
      const [a, b] = [got.dataSync(), want.dataSync()];
      assert.equal(a.length, b.length);
      a.forEach((v, i) => assert.ok(Object.is(v, b[i]), `value ${i}: ${v} vs ${b[i]}`));
      tf.dispose([images, got, want]);
    }),
    { numRuns: 150, seed: 17 },
  );
  assert.equal(runs, 150);
  assert.ok(stepsRun > 150, `${stepsRun} steps run`);
});
