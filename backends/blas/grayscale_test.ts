// The fused grayscale: the kernel equals augment's op chain on the cpu backend bit for bit on
// the images it is told to convert and copies the others bit for bit, for any flags, sizes and
// values; grayscale and randomGrayscale on blas (which run it, one call over the batch) give
// the cpu backend's images; other inputs are refused.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import fc from "fast-check";
import { grayscale as grayscaleOp, GRAYSCALE_KERNEL, randomGrayscale } from "@selfsup/augment";
import { assertBothSame, type BothResults, ignoreBlas, onBoth, onEach } from "./_test_util.ts";
import { grayscale } from "./grayscale.ts";

const SPECIAL = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 0.5, 1e-40, 3.4e38, -3.4e38, 2, -1e-45];

type Shape = [number, number, number, number];

/** The kernel on blas (with `chosen` when given), and on cpu the chain image by image. */
function kernelAndChain(
  values: Float32Array | number[],
  shape: Shape,
  chosen?: boolean[],
): Promise<BothResults> {
  const onKernel = () =>
    tf.engine().runKernel(
      GRAYSCALE_KERNEL,
      { images: tf.tensor4d(values, shape) },
      chosen === undefined ? {} : { chosen },
    ) as tf.Tensor;
  // The cpu backend has no fused kernel: grayscale() is the op chain there.
  const chain = () => {
    const images = tf.tensor4d(values, shape);
    return tf.concat(
      Array.from({ length: shape[0] }, (_, i) => {
        const image = images.slice([i, 0, 0, 0], [1, -1, -1, -1]);
        return chosen === undefined || chosen[i] ? grayscaleOp(image) : image;
      }),
      0,
    );
  };
  return onEach(onKernel, chain);
}

Deno.test({
  name: "blas SelfsupGrayscale is registered for blas only",
  ignore: ignoreBlas,
  fn: () => {
    assert.equal(GRAYSCALE_KERNEL, "SelfsupGrayscale");
    assert.equal(tf.getKernel(GRAYSCALE_KERNEL, "blas")?.kernelFunc, grayscale);
    assert.equal(tf.getKernel(GRAYSCALE_KERNEL, "cpu"), undefined);
  },
});

Deno.test({
  name: "blas SelfsupGrayscale equals the chain on cpu bit for bit on a flagged 96x96 batch",
  ignore: ignoreBlas,
  fn: async () => {
    const n = 7;
    const shape: Shape = [n, 96, 96, 3];
    const size = 96 * 96 * 3;
    const values = tf.tidy(() =>
      tf.randomUniform([n * size], 0, 1, "float32", 5).dataSync() as Float32Array
    );
    // Image 2 (converted) holds -0s, whose luma must come out +0; image 5 (copied) values a
    // clip would change, which must stay as they are.
    values.fill(-0, 2 * size, 3 * size);
    SPECIAL.forEach((v, k) => values[5 * size + k] = v);
    const chosen = [true, false, true, true, false, false, true];
    const r = await kernelAndChain(values, shape, chosen);
    assertBothSame(r, "flagged");
    let converted = 0;
    for (let i = 0; i < n; i++) {
      const image = r.blas[0].subarray(i * size, (i + 1) * size);
      const input = values.subarray(i * size, (i + 1) * size);
      if (!chosen[i]) {
        assert.ok(image.every((v, k) => Object.is(v, input[k])), `image ${i} copied`);
        continue;
      }
      converted++;
      // Gray: three equal channels, most of them changed.
      for (let p = 0; p < size; p += 3) {
        assert.ok(image[p] === image[p + 1] && image[p] === image[p + 2], `image ${i} gray`);
      }
      const changed = image.filter((v, k) => v !== input[k]).length;
      if (i === 2) assert.ok(image.every((v) => Object.is(v, 0)), "image 2 is +0");
      else assert.ok(changed > size / 2, `image ${i}: ${changed} values changed`);
    }
    assert.equal(converted, 4);
    // One pixel by hand: pure red is float32(0.299) in every channel.
    const red = await kernelAndChain([1, 0, 0], [1, 1, 1, 3]);
    assertBothSame(red, "red");
    assert.deepEqual(Array.from(red.blas[0]), new Array(3).fill(Math.fround(0.299)));
    // No flags: every image converted.
    assertBothSame(await kernelAndChain(values, shape), "unflagged");
  },
});

Deno.test({
  name: "blas SelfsupGrayscale equals the chain on cpu for any flags, sizes and values (property)",
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
      flagged: fc.boolean(),
    }).chain(({ n, h, w, flagged }) =>
      fc.record({
        shape: fc.constant([n, h, w, 3] as Shape),
        values: fc.array(value, { minLength: n * h * w * 3, maxLength: n * h * w * 3 }),
        chosen: flagged
          ? fc.array(fc.boolean(), { minLength: n, maxLength: n })
          : fc.constant(undefined),
      })
    );
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(cases, async ({ shape, values, chosen }) => {
        runs++;
        const r = await kernelAndChain(values, shape, chosen);
        assertBothSame(r, JSON.stringify({ shape, values, chosen }));
      }),
      { numRuns: 200, seed: 61 },
    );
    assert.equal(runs, 200);
  },
});

Deno.test({
  name: "randomGrayscale and grayscale on blas (the fused kernel) equal the op chain on cpu",
  ignore: ignoreBlas,
  fn: async () => {
    const cases = fc.record({
      n: fc.integer({ min: 1, max: 9 }),
      h: fc.integer({ min: 1, max: 6 }),
      w: fc.integer({ min: 1, max: 6 }),
      c: fc.constantFrom(1, 3),
      seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      p: fc.constantFrom(0, 0.2, 0.5, 1),
      specials: fc.boolean(),
    });
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(cases, async ({ n, h, w, c, seed, p, specials }) => {
        runs++;
        const r = await onBoth(() => {
          const x = tf.randomUniform([n, h, w, c], 0, 1, "float32", seed).dataSync();
          if (specials) SPECIAL.forEach((v, i) => x[i % x.length] = v);
          const images = tf.tensor4d(x, [n, h, w, c]);
          return [randomGrayscale(images, { seed, p, checkValues: false }), grayscaleOp(images)];
        });
        assertBothSame(r, JSON.stringify({ n, h, w, c, seed, p, specials }));
      }),
      { numRuns: 150, seed: 67 },
    );
    assert.equal(runs, 150);
  },
});

Deno.test({
  name: "randomGrayscale on blas is one kernel call over the batch, without regrouping it",
  ignore: ignoreBlas,
  fn: async () => {
    assert.ok(await tf.setBackend("blas"));
    const images = tf.randomUniform([16, 8, 8, 3], 0, 1, "float32", 3) as tf.Tensor4D;
    const options = { seed: 4, p: 0.5, checkValues: false };
    const info = await tf.profile(() => randomGrayscale(images, options));
    assert.deepEqual(info.kernels.map((k) => k.name), [GRAYSCALE_KERNEL]);
    // A proper subset was converted: some images changed, some did not.
    const out = (info.result as tf.Tensor).dataSync();
    const input = images.dataSync();
    const size = 8 * 8 * 3;
    const changed = Array.from({ length: 16 }, (_, i) => {
      for (let k = i * size; k < (i + 1) * size; k++) if (out[k] !== input[k]) return true;
      return false;
    }).filter((c) => c).length;
    assert.ok(changed > 0 && changed < 16, `${changed} images converted`);
    // Nobody converted: a copy (tfjs's clone), no call of the kernel.
    const none = await tf.profile(() => randomGrayscale(images, { ...options, p: 0 }));
    assert.deepEqual(none.kernels.map((k) => k.name), ["Identity"]);
    tf.dispose([images, info.result as tf.Tensor, none.result as tf.Tensor]);
  },
});

Deno.test({
  name: "blas SelfsupGrayscale refuses other inputs",
  ignore: ignoreBlas,
  fn: async () => {
    assert.ok(await tf.setBackend("blas"));
    const run = (images: tf.Tensor, attrs: Record<string, unknown>) => () =>
      tf.engine().runKernel(GRAYSCALE_KERNEL, { images }, attrs as tf.NamedAttrMap);
    const good = tf.zeros([2, 2, 2, 3]);
    const wrong = [
      [tf.zeros([2, 2, 2, 1]), {}, "float32 [2,2,2,1] and chosen undefined"],
      [tf.zeros([2, 2, 2, 3], "int32"), {}, "int32 [2,2,2,3] and chosen undefined"],
      [tf.zeros([2, 6]), {}, "float32 [2,6] and chosen undefined"],
      [good, { chosen: [true] }, "float32 [2,2,2,3] and chosen [true]"],
      [good, { chosen: [true, 1] }, "float32 [2,2,2,3] and chosen [true,1]"],
      [good, { chosen: true }, "float32 [2,2,2,3] and chosen true"],
    ] as const;
    for (const [x, attrs, got] of wrong) {
      assert.throws(run(x, attrs), {
        name: "TypeError",
        message: `${GRAYSCALE_KERNEL}: needs float32 images [N, H, W, 3] and chosen absent or ` +
          `N booleans, got ${got}`,
      });
    }
    tf.dispose([good, ...wrong.map(([x]) => x)]);
  },
});
