import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import fc from "fast-check";
import { assertBothClose, assertBothSame, ignoreBlas, onBoth } from "./_test_util.ts";
import { max, min, reductionBlocks } from "./reduce.ts";

Deno.test("reductionBlocks() merges dims into [outer, reduced, inner] or refuses", () => {
  assert.deepEqual(reductionBlocks([4, 5, 6, 7], [0, 1, 2]), [1, 120, 7]);
  assert.deepEqual(reductionBlocks([4, 5, 6, 7], [1, 2]), [4, 30, 7]);
  assert.deepEqual(reductionBlocks([4, 5, 6, 7], [3]), [120, 7, 1]);
  assert.deepEqual(reductionBlocks([4, 1, 6], [0, 2]), [1, 24, 1]);
  assert.equal(reductionBlocks([4, 5, 6], [0, 2]), undefined);
  assert.deepEqual(reductionBlocks([], []), [1, 1, 1]);
});

Deno.test({
  name: "blas Sum and Mean match the cpu backend for any axes, keepDims, and gradients",
  ignore: ignoreBlas,
  fn: async () => {
    const shapes = fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 });
    const cases = fc.sample(
      shapes.chain((shape) =>
        fc.tuple(
          fc.constant(shape),
          fc.subarray(shape.map((_, i) => i), { minLength: 1 }),
          fc.boolean(),
        )
      ),
      { numRuns: 100, seed: 42 },
    );
    for (const [i, [shape, axes, keepDims]] of cases.entries()) {
      const r = await onBoth(() => {
        const x = tf.randomNormal(shape, 0, 1, "float32", 1 + i);
        return [
          tf.sum(x, axes, keepDims),
          tf.mean(x, axes, keepDims),
          tf.grad((x) => tf.sum(tf.square(tf.mean(x, axes))))(x),
        ];
      });
      assertBothClose(r, 1e-5, `shape ${shape} axes ${axes} keepDims ${keepDims}`);
    }
  },
});

Deno.test({
  name: "blas Sum falls back to the cpu kernel for int32 and bool",
  ignore: ignoreBlas,
  fn: async () => {
    assertBothClose(await onBoth(() => tf.sum(tf.tensor2d([[1, 2], [3, 4]], [2, 2], "int32"), 0)));
    assertBothClose(await onBoth(() => tf.sum(tf.tensor1d([true, false, true], "bool"))));
  },
});

Deno.test({
  name: "blas Min and Max are registered as the blas backend's own kernels",
  ignore: ignoreBlas,
  fn: () => {
    assert.equal(tf.getKernel("Min", "blas")?.kernelFunc, min);
    assert.equal(tf.getKernel("Max", "blas")?.kernelFunc, max);
  },
});

Deno.test({
  name: "blas Min and Max equal the cpu kernels on per-pixel channel extremes with specials",
  ignore: ignoreBlas,
  fn: async () => {
    // The saturation and hue steps' max(3, true) and min(3, true) of [N, 96, 96, 3] images;
    // the first pixels hold NaN, infinities, equal values and zeros of both signs in both
    // orders (the cpu kernels keep the first of equal values).
    const pixels = [
      [NaN, 1, 2],
      [1, NaN, 2],
      [1, 2, NaN],
      [Infinity, -Infinity, 0],
      [0, -0, 0],
      [-0, 0, -0],
      [0.5, 0.5, 0.5],
      [-1e-40, 1e-40, 0],
    ];
    const r = await onBoth(() => {
      const x = tf.randomUniform([8, 96, 96, 3], 0, 1, "float32", 7).dataSync();
      x.set(pixels.flat());
      const images = tf.tensor4d(x, [8, 96, 96, 3]);
      return [
        images.max(3, true),
        images.min(3, true),
        images.max(3),
        images.min([1, 2]), // per-image, per-channel: [outer, reduced, inner] with inner 3
        images.max(0), // across the batch: no outer block
        images.min(), // everything
      ];
    });
    assertBothSame(r, "channel extremes");
    assert.deepEqual(r.kinds.blas.slice(0, 2), ["float32 [8,96,96,1]", "float32 [8,96,96,1]"]);
    // The zeros' signs came through: the first of equal values stays.
    assert.ok(Object.is(r.blas[0][4], 0) && Object.is(r.blas[0][5], -0));
    assert.ok(Object.is(r.blas[1][4], 0) && Object.is(r.blas[1][5], -0));
  },
});

Deno.test({
  name: "blas Min and Max fall back for empty inputs, int32 and bool",
  ignore: ignoreBlas,
  fn: async () => {
    const r = await onBoth(() => [
      tf.max(tf.tensor2d([[1, 5], [-3, 2]], [2, 2], "int32"), 1),
      tf.min(tf.tensor2d([[1, 5], [-3, 2]], [2, 2], "int32"), 0),
      tf.max(tf.tensor1d([true, false], "bool")),
      tf.max(tf.zeros([0, 3]), 1),
      tf.min(tf.zeros([2, 1, 3]), 1, true),
      tf.max(tf.scalar(-0)),
    ]);
    assertBothSame(r, "edges");
    assert.deepEqual(r.kinds.blas, [
      "int32 [2]",
      "int32 [2]",
      "bool []",
      "float32 [0]",
      "float32 [2,1,3]",
      "float32 []",
    ]);
  },
});

Deno.test({
  name: "blas Min and Max equal the cpu kernels for any axes, keepDims and values (property)",
  ignore: ignoreBlas,
  fn: async () => {
    const value = fc.oneof(fc.constantFrom(NaN, -0, 0, Infinity, -Infinity, 1), fc.float());
    const cases = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 })
      .chain((shape) => {
        const n = shape.reduce((a, b) => a * b, 1);
        return fc.tuple(
          fc.constant(shape),
          fc.subarray(shape.map((_, i) => i), { minLength: 1 }),
          fc.boolean(),
          fc.array(value, { minLength: n, maxLength: n }),
        );
      });
    await fc.assert(
      fc.asyncProperty(cases, async ([shape, axes, keepDims, values]) => {
        const r = await onBoth(() => {
          const x = tf.tensor(values, shape);
          return [tf.min(x, axes, keepDims), tf.max(x, axes, keepDims)];
        });
        assertBothSame(r, `shape ${shape} axes ${axes} keepDims ${keepDims} values ${values}`);
      }),
      { numRuns: 100, seed: 31 },
    );
  },
});
