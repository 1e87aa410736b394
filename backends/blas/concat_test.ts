import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import fc from "fast-check";
import { assertBothSame, ignoreBlas, onBoth } from "./_test_util.ts";
import { concat } from "./concat.ts";

Deno.test({
  name: "blas Concat is registered as the blas backend's own kernel",
  ignore: ignoreBlas,
  fn: () => {
    assert.equal(tf.getKernel("Concat", "blas")?.kernelFunc, concat);
  },
});

Deno.test({
  name: "blas Concat equals the cpu kernel on the augmentations' channel and batch joins",
  ignore: ignoreBlas,
  fn: async () => {
    const r = await onBoth(() => {
      // Luma spread over three channels, specials included; sub-batches put back together.
      const luma = tf.randomUniform([9, 96, 96, 1], 0, 1, "float32", 1).dataSync();
      [NaN, Infinity, -Infinity, -0, 1e-40].forEach((v, i) => luma[i * 97] = v);
      const l = tf.tensor4d(luma, [9, 96, 96, 1]);
      const parts = [8, 7, 4, 8, 5].map((n, i) =>
        tf.randomUniform([n, 96, 96, 3], 0, 1, "float32", 10 + i)
      );
      const r = tf.randomUniform([9, 96, 96, 1], 0, 1, "float32", 2);
      return [tf.concat([l, l, l], 3), tf.concat(parts, 0), tf.concat([l, r, l], -1)];
    });
    assertBothSame(r, "augmentation joins");
    assert.deepEqual(r.kinds.blas, [
      "float32 [9,96,96,3]",
      "float32 [32,96,96,3]",
      "float32 [9,96,96,3]",
    ]);
  },
});

Deno.test({
  name: "blas Concat skips empty inputs, passes a single one through and falls back for int32",
  ignore: ignoreBlas,
  fn: async () => {
    const r = await onBoth(() => {
      const a = tf.randomNormal([2, 3, 4], 0, 1, "float32", 5);
      const b = tf.randomNormal([2, 1, 4], 0, 1, "float32", 6);
      const empty = tf.zeros([2, 0, 4]);
      return [
        tf.concat([empty, a, empty, b], 1), // empties among others, a middle axis
        tf.concat([empty, a], 1), // a single non-empty input
        tf.concat([empty, empty], 1), // an empty result
        tf.concat([tf.zeros([0, 3]), tf.zeros([0, 5])], 1), // empty on the outer dim
        tf.concat([tf.scalar(1).reshape([1]), tf.tensor1d([2, 3])]), // rank 1, size-1 parts
        tf.concat([a.reshape([1, 1, 24]), a.reshape([1, 1, 24])], 2), // trivial outer dims
        tf.concat([tf.tensor2d([[1, 2]], [1, 2], "int32"), tf.tensor2d([[3]], [1, 1], "int32")], 1),
        tf.concat([tf.tensor1d([true], "bool"), tf.tensor1d([false, true], "bool")]),
      ];
    });
    assertBothSame(r, "edges");
    assert.deepEqual(r.kinds.blas.slice(2, 4), ["float32 [2,0,4]", "float32 [0,8]"]);
    assert.deepEqual(r.kinds.blas.slice(6), ["int32 [1,3]", "bool [3]"]);
    assert.deepEqual(Array.from(r.blas[6]), [1, 2, 3]);
  },
});

Deno.test({
  name: "blas Concat equals the cpu kernel for any shapes, axis and number of inputs (property)",
  ignore: ignoreBlas,
  fn: async () => {
    const cases = fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 })
      .chain((shape) =>
        fc.tuple(
          fc.constant(shape),
          fc.integer({ min: 0, max: shape.length - 1 }),
          // Each input's size along the axis: 0 (empty) to 30 (runs long enough for `set`).
          fc.array(fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 20, max: 30 })), {
            minLength: 1,
            maxLength: 4,
          }),
        )
      );
    let seed = 0;
    await fc.assert(
      fc.asyncProperty(cases, async ([shape, axis, sizes]) => {
        const base = 10 * ++seed; // the same values on both backends
        const r = await onBoth(() => {
          const xs = sizes.map((n, k) =>
            tf.randomNormal(shape.map((d, i) => i === axis ? n : d), 0, 1, "float32", base + k)
          );
          const y = tf.concat(xs, axis);
          // The gradient slices the output back apart.
          const w = tf.randomNormal(y.shape, 0, 1, "float32", base + 9);
          return [
            y,
            ...tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(tf.concat(xs, axis), w)))(xs),
          ];
        });
        assertBothSame(r, `shape ${shape} axis ${axis} sizes ${sizes}`);
      }),
      { numRuns: 60, seed: 23 },
    );
  },
});
