// The fused colour jitter: the kernel equals the public colour ops applied one image at a time
// on the cpu backend, bit for bit, for any steps, parameters and values; colour jitter and the
// view presets on blas (which run it) give the cpu backend's views; other inputs are refused.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  adjustBrightness,
  adjustContrast,
  adjustHue,
  adjustSaturation,
  byolViews,
  COLOR_JITTER_KERNEL,
  randomColorJitter,
  simclrViews,
} from "@selfsup/augment";
import {
  assertBothClose,
  assertBothSame,
  type BothResults,
  ignoreBlas,
  onBoth,
  onEach,
} from "./_test_util.ts";
import { colorJitter } from "./color_jitter.ts";

const SPECIAL = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 0.5, 1e-40, 3.4e38, -3.4e38, 2];

/** One jitter case: images, each image's steps and parameters, the brightness mode. */
interface JitterCase {
  shape: [number, number, number, number];
  values: number[];
  /** [N x 4] components by slot, -1 for none. */
  steps: number[];
  /** [N x 4] brightness, contrast, saturation, hue parameters. */
  params: number[];
  additive: boolean;
}

/** The kernel on the blas backend. */
function onKernel(k: JitterCase): tf.Tensor4D {
  const n = k.shape[0];
  return tf.tidy(() =>
    tf.engine().runKernel(COLOR_JITTER_KERNEL, {
      images: tf.tensor4d(k.values, k.shape),
      steps: tf.tensor2d(k.steps, [n, 4], "int32"),
      params: tf.tensor2d(k.params, [n, 4]),
    }, { additive: k.additive }) as tf.Tensor4D
  );
}

/** The public colour ops, one image and one step at a time (on whatever backend is active). */
function stepByStep(k: JitterCase): tf.Tensor4D {
  const options = { checkValues: false };
  return tf.tidy(() => {
    const images = tf.tensor4d(k.values, k.shape);
    const parts = Array.from({ length: k.shape[0] }, (_, i) => {
      let x = images.slice([i, 0, 0, 0], [1, -1, -1, -1]);
      for (let slot = 0; slot < 4; slot++) {
        const t = k.steps[4 * i + slot];
        const v = [k.params[4 * i + t]];
        if (t === 0) {
          x = k.additive
            ? tf.clipByValue(x.add(tf.scalar(v[0])), 0, 1)
            : adjustBrightness(x, v, options);
        } else if (t === 1) x = adjustContrast(x, v, options);
        else if (t === 2) x = adjustSaturation(x, v, options);
        else if (t === 3) x = adjustHue(x, v, options);
      }
      return x;
    });
    return tf.concat(parts, 0);
  });
}

/** The kernel on blas and the step-by-step ops on cpu, as {@linkcode onBoth} gives them. */
function kernelAndCpu(k: JitterCase): Promise<BothResults> {
  return onEach(() => onKernel(k), () => stepByStep(k));
}

Deno.test({
  name: "blas SelfsupColorJitter is registered for blas only",
  ignore: ignoreBlas,
  fn: () => {
    assert.equal(COLOR_JITTER_KERNEL, "SelfsupColorJitter");
    assert.equal(tf.getKernel(COLOR_JITTER_KERNEL, "blas")?.kernelFunc, colorJitter);
    assert.equal(tf.getKernel(COLOR_JITTER_KERNEL, "cpu"), undefined);
  },
});

Deno.test({
  name: "blas SelfsupColorJitter equals the colour ops on cpu bit for bit on a 96x96 batch",
  ignore: ignoreBlas,
  fn: async () => {
    const n = 6;
    const values = Array.from(
      tf.tidy(() => tf.randomUniform([n, 96, 96, 3], 0, 1, "float32", 5).dataSync()),
    );
    // Image 5 is black with -0s: contrast's offsets 0 x (1 - k) must come out +0 (saturation
    // or hue after it would make +0 of -0 anyway, so it has only contrast and brightness).
    values.fill(-0, 5 * 96 * 96 * 3);
    const k: JitterCase = {
      shape: [n, 96, 96, 3],
      values,
      steps: [0, 1, 2, 3, 3, 2, 1, 0, 1, 3, -1, 2, 2, 0, 3, 1, -1, -1, -1, -1, 1, 0, -1, -1],
      params: [
        [1.3, 0.6, 1.5, 0.1],
        [0.7, 1.8, 0.2, -0.2],
        [1, 0, 1, 0.5],
        [0.4, 1.2, 0, -0.05],
        [1.5, 1.5, 1.5, 0.2],
        [1.2, 1.7, 0.5, 0.3],
      ].flat(),
      additive: false,
    };
    const r = await kernelAndCpu(k);
    assertBothSame(r, `[${n}, 96, 96, 3]`);
    // Every changed image changed most of its values; image 4 (no steps) none.
    const size = 96 * 96 * 3;
    for (let i = 0; i < n; i++) {
      const changed = r.blas[0].slice(i * size, (i + 1) * size).filter((v, j) =>
        !Object.is(v, values[i * size + j])
      ).length;
      if (i === 4) {
        assert.equal(changed, 0);
      } else assert.ok(changed > size / 2, `image ${i}: ${changed} values changed`);
    }
    assert.ok(r.blas[0].slice(5 * size).every((v) => Object.is(v, 0)), "image 5 is +0");
    const additive = await kernelAndCpu({
      ...k,
      params: k.params.map((v, j) => j % 4 === 0 ? v - 1 : v),
      additive: true,
    });
    assertBothSame(additive, "additive");
  },
});

Deno.test({
  name: "blas SelfsupColorJitter equals the colour ops on cpu for any steps and values (property)",
  ignore: ignoreBlas,
  fn: async () => {
    const value = fc.oneof(
      fc.constantFrom(...SPECIAL),
      fc.float(),
      fc.float({ min: 0, max: 1, noNaN: true }),
    );
    const factor = fc.oneof(fc.float({ min: 0, max: 4, noNaN: true }), fc.constantFrom(0, 1, 2));
    // A single image's hue shift of 0 is a copy in adjustHue (the kernel runs the arithmetic:
    // its callers write -1 instead), so shifts here are not 0.
    const hue = fc.float({ min: -1, max: 1, noNaN: true }).filter((d) => d !== 0);
    const image = (additive: boolean) =>
      fc.tuple(
        fc.constantFrom(...[[0, 1, 2, 3], [1, 0, 3, 2], [2, 3, 0, 1], [3, 2, 1, 0], [1, 3, 0, 2]]),
        fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
        additive ? fc.float({ min: -1, max: 1, noNaN: true }) : factor,
        factor,
        factor,
        hue,
      ).map(([order, skip, ...params]) => ({
        steps: order.map((t, slot) => skip[slot] ? -1 : t),
        params,
      }));
    const cases = fc.record({
      n: fc.integer({ min: 1, max: 3 }),
      h: fc.integer({ min: 1, max: 5 }),
      w: fc.integer({ min: 1, max: 5 }),
      c: fc.constantFrom(1, 3),
      additive: fc.boolean(),
    }).chain(({ n, h, w, c, additive }) =>
      fc.tuple(
        fc.constant({ shape: [n, h, w, c] as [number, number, number, number], additive }),
        fc.array(value, { minLength: n * h * w * c, maxLength: n * h * w * c }),
        fc.array(image(additive), { minLength: n, maxLength: n }),
      )
    ).map(([{ shape, additive }, values, images]): JitterCase => ({
      shape,
      values,
      steps: images.flatMap((i) => i.steps),
      params: images.flatMap((i) => i.params),
      additive,
    }));
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(cases, async (k) => {
        runs++;
        assertBothSame(await kernelAndCpu(k), `${JSON.stringify(k)}`);
      }),
      { numRuns: 200, seed: 53 },
    );
    assert.equal(runs, 200);
  },
});

Deno.test({
  name: "randomColorJitter on blas (the fused kernel) equals the op chain on cpu (property)",
  ignore: ignoreBlas,
  fn: async () => {
    const strength = fc.oneof(fc.constant(0), fc.double({ min: 0.01, max: 1, noNaN: true }));
    const cases = fc.record({
      n: fc.integer({ min: 1, max: 8 }),
      h: fc.integer({ min: 1, max: 6 }),
      w: fc.integer({ min: 1, max: 6 }),
      c: fc.constantFrom(1, 3),
      seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      p: fc.constantFrom(0, 0.5, 0.8, 1),
      brightness: strength,
      contrast: strength,
      saturation: strength,
      hue: fc.oneof(fc.constant(0), fc.double({ min: 0.01, max: 0.5, noNaN: true })),
      brightnessMode: fc.constantFrom("multiplicative" as const, "additive" as const),
      specials: fc.boolean(),
    });
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(cases, async ({ n, h, w, c, specials, ...options }) => {
        runs++;
        const r = await onBoth(() => {
          const x = tf.randomUniform([n, h, w, c], 0, 1, "float32", options.seed).dataSync();
          if (specials) SPECIAL.forEach((v, i) => x[i % x.length] = v);
          const images = tf.tensor4d(x, [n, h, w, c]);
          return randomColorJitter(images, { ...options, checkValues: false });
        });
        assertBothSame(r, JSON.stringify({ n, h, w, c, specials, ...options }));
      }),
      { numRuns: 150, seed: 59 },
    );
    assert.equal(runs, 150);
  },
});

Deno.test({
  name: "colour jitter on blas is one kernel call, without regrouping or clips",
  ignore: ignoreBlas,
  fn: async () => {
    assert.ok(await tf.setBackend("blas"));
    const images = tf.randomUniform([16, 8, 8, 3], 0, 1, "float32", 3) as tf.Tensor4D;
    const info = await tf.profile(() =>
      randomColorJitter(images, { seed: 4, p: 0.8, checkValues: false })
    );
    assert.deepEqual(info.kernels.map((k) => k.name), [COLOR_JITTER_KERNEL]);
    images.dispose();
    tf.dispose(info.result as tf.Tensor);
  },
});

Deno.test({
  name: "the view presets on blas give the cpu backend's views at 96x96 (blur within 1e-6)",
  ignore: ignoreBlas,
  fn: async () => {
    const images = () => tf.randomUniform([8, 96, 96, 3], 0, 1, "float32", 2) as tf.Tensor4D;
    // Without the blur every step is bit-identical on blas.
    const exact = await onBoth(() => [
      randomColorJitter(images(), { seed: 3 }),
      ...simclrViews(images(), { seed: 3, blur: false }),
      ...simclrViews(images(), { seed: 4, strength: 0.5, size: 64, blur: false }),
    ]);
    assertBothSame(exact, "jitter and simclrViews without blur");
    const blurred = await onBoth(() => [
      ...simclrViews(images(), { seed: 5 }),
      ...byolViews(images(), { seed: 6 }),
    ]);
    assertBothClose(blurred, 1e-6, "simclrViews and byolViews");
  },
});

Deno.test({
  name: "blas SelfsupColorJitter refuses other inputs",
  ignore: ignoreBlas,
  fn: async () => {
    assert.ok(await tf.setBackend("blas"));
    const run = (images: tf.Tensor, steps: tf.Tensor, params: tf.Tensor) => () =>
      tf.engine().runKernel(COLOR_JITTER_KERNEL, { images, steps, params }, { additive: false });
    const good = tf.zeros([2, 2, 2, 3]);
    const steps = tf.zeros([2, 4], "int32");
    const params = tf.ones([2, 4]);
    const wrong = [
      [tf.zeros([2, 2, 2, 2]), steps, params, "float32 [2,2,2,2], int32 [2,4] and float32 [2,4]"],
      [tf.zeros([2, 2, 2, 3], "int32"), steps, params, "int32 [2,2,2,3], int32 [2,4]"],
      [good, tf.zeros([2, 4]), params, "float32 [2,2,2,3], float32 [2,4] and"],
      [good, tf.zeros([2, 3], "int32"), params, "int32 [2,3] and"],
      [good, steps, tf.ones([3, 4]), "and float32 [3,4]"],
    ] as const;
    for (const [x, s, p, got] of wrong) {
      assert.throws(run(x, s, p), {
        name: "TypeError",
        message: new RegExp(
          `^${COLOR_JITTER_KERNEL}: needs float32 images \\[N, H, W, C\\] with C = 1 or 3, ` +
            `int32 steps \\[N, 4\\] and float32 params \\[N, 4\\], got .*` +
            got.replace(/[[\]]/g, "\\$&"),
        ),
      });
    }
    const bad = tf.tensor2d([0, 1, 2, 3, 1, 4, 0, 2], [2, 4], "int32");
    assert.throws(run(good, bad, params), {
      name: "RangeError",
      message: `${COLOR_JITTER_KERNEL}: steps must be -1, 0, 1, 2 or 3, got 4 (image 1, slot 1)`,
    });
    tf.dispose([good, steps, params, bad, ...wrong.flatMap(([x, s, p]) => [x, s, p])]);
  },
});
