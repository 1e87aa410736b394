// The fused solarization: the kernel equals augment's op chain on the cpu backend bit for bit
// on the images it is told to solarize and copies the others bit for bit, for any flags, sizes,
// thresholds and values; solarize, randomSolarize and BYOL's views on blas (which run it, one
// call over the batch) give the cpu backend's images; other inputs are refused.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  augmentView,
  byolRecipes,
  randomSolarize,
  solarize as solarizeOp,
  SOLARIZE_KERNEL,
} from "@selfsup/augment";
import { assertBothSame, type BothResults, ignoreBlas, onBoth, onEach } from "./_test_util.ts";
import { solarize } from "./solarize.ts";

const SPECIAL = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 0.5, 1e-40, 3.4e38, -3.4e38, 2];

type Shape = [number, number, number, number];

/** The kernel on blas (with `chosen` when given), and on cpu the chain image by image. */
function kernelAndChain(
  values: Float32Array | number[],
  shape: Shape,
  threshold: number,
  chosen?: boolean[],
): Promise<BothResults> {
  const attrs: tf.NamedAttrMap = chosen === undefined ? { threshold } : { threshold, chosen };
  const onKernel = () =>
    tf.engine().runKernel(
      SOLARIZE_KERNEL,
      { images: tf.tensor4d(values, shape) },
      attrs,
    ) as tf.Tensor;
  // The cpu backend has no fused kernel: solarize() is the op chain there.
  const chain = () => {
    const images = tf.tensor4d(values, shape);
    return tf.concat(
      Array.from({ length: shape[0] }, (_, i) => {
        const image = images.slice([i, 0, 0, 0], [1, -1, -1, -1]);
        return chosen === undefined || chosen[i]
          ? solarizeOp(image, { threshold, checkValues: false })
          : image;
      }),
      0,
    );
  };
  return onEach(onKernel, chain);
}

Deno.test({
  name: "blas SelfsupSolarize is registered for blas only",
  ignore: ignoreBlas,
  fn: () => {
    assert.equal(SOLARIZE_KERNEL, "SelfsupSolarize");
    assert.equal(tf.getKernel(SOLARIZE_KERNEL, "blas")?.kernelFunc, solarize);
    assert.equal(tf.getKernel(SOLARIZE_KERNEL, "cpu"), undefined);
  },
});

Deno.test({
  name: "blas SelfsupSolarize equals the chain on cpu bit for bit on a flagged 96x96 batch",
  ignore: ignoreBlas,
  fn: async () => {
    const n = 5;
    const shape: Shape = [n, 96, 96, 3];
    const size = 96 * 96 * 3;
    const values = tf.tidy(() =>
      tf.randomUniform([n * size], 0, 1, "float32", 7).dataSync() as Float32Array
    );
    SPECIAL.forEach((v, k) => values[k] = v);
    SPECIAL.forEach((v, k) => values[size + k] = v);
    const chosen = [true, false, false, true, true];
    const r = await kernelAndChain(values, shape, 0.5, chosen);
    assertBothSame(r, "flagged");
    for (let i = 0; i < n; i++) {
      const image = r.blas[0].subarray(i * size, (i + 1) * size);
      const input = values.subarray(i * size, (i + 1) * size);
      const same = image.filter((v, k) => Object.is(v, input[k])).length;
      if (!chosen[i]) assert.equal(same, size, `image ${i} copied`);
      // About half the values are >= 0.5 and become 1 - x.
      else assert.ok(same > size / 3 && same < (2 * size) / 3, `image ${i}: ${same} kept`);
    }
    // By hand: below the threshold kept (-0 too), from it on 1 - x; NaN is not below it.
    const hand = await kernelAndChain([0.25, -0, 0.5, 0.75, NaN, 2], [1, 1, 2, 3], 0.5);
    assertBothSame(hand, "by hand");
    assert.deepEqual(Array.from(hand.blas[0]), [0.25, -0, 0.5, 0.25, NaN, -1]);
    // Threshold 0 solarizes everything (-0 becomes 1), 1 everything below 1.
    assertBothSame(await kernelAndChain(values, shape, 0), "threshold 0");
    assertBothSame(await kernelAndChain(values, shape, 1, chosen), "threshold 1");
  },
});

Deno.test({
  name: "blas SelfsupSolarize equals the chain on cpu for any flags, sizes and values (property)",
  ignore: ignoreBlas,
  fn: async () => {
    const value = fc.oneof(
      fc.constantFrom(...SPECIAL),
      fc.float(),
      fc.float({ min: 0, max: 1, noNaN: true }),
    );
    const cases = fc.record({
      n: fc.integer({ min: 1, max: 4 }),
      h: fc.integer({ min: 1, max: 5 }),
      w: fc.integer({ min: 1, max: 5 }),
      c: fc.constantFrom(1, 3),
      flagged: fc.boolean(),
    }).chain(({ n, h, w, c, flagged }) =>
      fc.record({
        shape: fc.constant([n, h, w, c] as Shape),
        values: fc.array(value, { minLength: n * h * w * c, maxLength: n * h * w * c }),
        // Doubles, so float32(threshold) differs from threshold.
        threshold: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(0, 1)),
        chosen: flagged
          ? fc.array(fc.boolean(), { minLength: n, maxLength: n })
          : fc.constant(undefined),
      })
    );
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(cases, async ({ shape, values, threshold, chosen }) => {
        runs++;
        const r = await kernelAndChain(values, shape, threshold, chosen);
        assertBothSame(r, JSON.stringify({ shape, values, threshold, chosen }));
      }),
      { numRuns: 200, seed: 71 },
    );
    assert.equal(runs, 200);
  },
});

Deno.test({
  name: "randomSolarize, solarize and BYOL's second view on blas equal the op chain on cpu",
  ignore: ignoreBlas,
  fn: async () => {
    const cases = fc.record({
      n: fc.integer({ min: 1, max: 9 }),
      h: fc.integer({ min: 1, max: 6 }),
      w: fc.integer({ min: 1, max: 6 }),
      c: fc.constantFrom(1, 3),
      seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      p: fc.constantFrom(0, 0.2, 0.5, 1),
      threshold: fc.double({ min: 0, max: 1, noNaN: true }),
      specials: fc.boolean(),
    });
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(cases, async ({ n, h, w, c, seed, p, threshold, specials }) => {
        runs++;
        const r = await onBoth(() => {
          const x = tf.randomUniform([n, h, w, c], 0, 1, "float32", seed).dataSync();
          if (specials) SPECIAL.forEach((v, i) => x[i % x.length] = v);
          const images = tf.tensor4d(x, [n, h, w, c]);
          const options = { threshold, checkValues: false };
          return [
            randomSolarize(images, { ...options, seed, p }),
            solarizeOp(images, options),
          ];
        });
        assertBothSame(r, JSON.stringify({ n, h, w, c, seed, p, threshold, specials }));
      }),
      { numRuns: 150, seed: 73 },
    );
    assert.equal(runs, 150);
    // BYOL's second view without its blur (the rest bit for bit): crop, flip, jitter,
    // grayscale and solarization with p 0.2.
    const recipe = { ...byolRecipes()[1], blur: 0 };
    const views = await onBoth(() => {
      const images = tf.randomUniform([16, 32, 32, 3], 0, 1, "float32", 8) as tf.Tensor4D;
      return [1, 2, 3].map((seed) => augmentView(images, { seed, size: 24, recipe }));
    });
    assertBothSame(views, "BYOL's second view without blur");
  },
});

Deno.test({
  name: "randomSolarize on blas is one kernel call over the batch, without regrouping it",
  ignore: ignoreBlas,
  fn: async () => {
    assert.ok(await tf.setBackend("blas"));
    const images = tf.randomUniform([16, 8, 8, 3], 0, 1, "float32", 3) as tf.Tensor4D;
    const info = await tf.profile(() =>
      randomSolarize(images, { seed: 4, p: 0.5, checkValues: false })
    );
    assert.deepEqual(info.kernels.map((k) => k.name), [SOLARIZE_KERNEL]);
    const out = (info.result as tf.Tensor).dataSync();
    const input = images.dataSync();
    const size = 8 * 8 * 3;
    const changed = Array.from({ length: 16 }, (_, i) => {
      for (let k = i * size; k < (i + 1) * size; k++) if (out[k] !== input[k]) return true;
      return false;
    }).filter((c) => c).length;
    assert.ok(changed > 0 && changed < 16, `${changed} images solarized`);
    tf.dispose([images, info.result as tf.Tensor]);
  },
});

Deno.test({
  name: "blas SelfsupSolarize refuses other inputs",
  ignore: ignoreBlas,
  fn: async () => {
    assert.ok(await tf.setBackend("blas"));
    const run = (images: tf.Tensor, attrs: Record<string, unknown>) => () =>
      tf.engine().runKernel(SOLARIZE_KERNEL, { images }, attrs as tf.NamedAttrMap);
    const good = tf.zeros([2, 2, 2, 3]);
    const wrong = [
      [tf.zeros([2, 2, 2, 3], "int32"), { threshold: 0.5 }, "int32 [2,2,2,3], threshold 0.5"],
      [tf.zeros([2, 6]), { threshold: 0.5 }, "float32 [2,6], threshold 0.5"],
      [good, {}, "float32 [2,2,2,3], threshold undefined and chosen undefined"],
      [good, { threshold: NaN }, "threshold NaN"],
      [good, { threshold: 1.5 }, "threshold 1.5"],
      [good, { threshold: 0.5, chosen: [true] }, "threshold 0.5 and chosen [true]"],
      [good, { threshold: 0.5, chosen: [0, 1] }, "chosen [0,1]"],
    ] as const;
    for (const [x, attrs, got] of wrong) {
      assert.throws(run(x, attrs), {
        name: "TypeError",
        message: new RegExp(
          `^${SOLARIZE_KERNEL}: needs float32 images \\[N, H, W, C\\], a threshold in \\[0, 1\\] ` +
            `and chosen absent or N booleans, got .*` + got.replace(/[[\]]/g, "\\$&"),
        ),
      });
    }
    tf.dispose([good, ...wrong.map(([x]) => x)]);
  },
});
