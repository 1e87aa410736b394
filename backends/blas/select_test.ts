import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import fc from "fast-check";
import { assertBothSame, ignoreBlas, onBoth } from "./_test_util.ts";
import { select } from "./select.ts";

/** The kernel itself, without tf.where's broadcasting of its operands to one shape. */
function selectKernel(condition: tf.Tensor, t: tf.Tensor, e: tf.Tensor): tf.Tensor {
  return tf.engine().runKernel("Select", { condition, t, e });
}

Deno.test({
  name: "blas Select is registered as the blas backend's own kernel",
  ignore: ignoreBlas,
  fn: () => {
    assert.equal(tf.getKernel("Select", "blas")?.kernelFunc, select);
  },
});

Deno.test({
  name: "blas Select equals the cpu kernel on the hue step's sectors and broadcast operands",
  ignore: ignoreBlas,
  fn: async () => {
    const r = await onBoth(() => {
      // The hue step: which channel is the max picks one of three [N, H, W, 1] formulas.
      const images = tf.randomUniform([8, 96, 96, 3], 0, 1, "float32", 4);
      const [red, green] = tf.split(images, 3, 3);
      const v = images.max(3, true);
      const specials = tf.tensor4d([NaN, -0, Infinity, -Infinity], [1, 1, 4, 1]);
      const a = tf.concat(
        [green.slice([0, 0, 0, 0], [8, 96, 92, 1]), specials.tile([8, 96, 1, 1])],
        2,
      );
      const out = tf.where(v.equal(red), a, tf.where(v.equal(green), green.add(2), red.add(4)));
      // tf.where broadcasts a per-image condition and a scalar before the kernel.
      const perImage = tf.tensor4d([1, 0, 1, 1, 0, 0, 1, 0], [8, 1, 1, 1]).cast("bool");
      return [out, tf.where(perImage, images, tf.scalar(-0))];
    });
    assertBothSame(r, "hue sectors");
    assert.deepEqual(r.kinds.blas, ["float32 [8,96,96,1]", "float32 [8,96,96,3]"]);
  },
});

Deno.test({
  name:
    "blas Select falls back for int32 values and unequal shapes, reads float32 conditions as cpu",
  ignore: ignoreBlas,
  fn: async () => {
    const r = await onBoth(() => {
      const c = tf.tensor1d([true, false, true], "bool");
      return [
        selectKernel(c, tf.tensor1d([1, 2, 3], "int32"), tf.tensor1d([4, 5, 6], "int32")),
        // A rank-1 condition over rows: the cpu kernel's own (odd) reading is kept.
        selectKernel(c, tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]), tf.zeros([3, 2])),
        // A float32 condition: only exactly 1 counts as true.
        selectKernel(tf.tensor1d([1, 0.5, 2]), tf.tensor1d([1, 2, 3]), tf.tensor1d([7, 8, 9])),
        selectKernel(tf.zeros([0, 2], "bool"), tf.zeros([0, 2]), tf.zeros([0, 2])),
        selectKernel(tf.scalar(true, "bool"), tf.scalar(NaN), tf.scalar(1)),
      ];
    });
    assertBothSame(r, "edges");
    assert.deepEqual(r.kinds.blas, [
      "int32 [3]",
      "float32 [3,2]",
      "float32 [3]",
      "float32 [0,2]",
      "float32 []",
    ]);
    assert.deepEqual(Array.from(r.blas[2]), [1, 8, 9]);
  },
});

Deno.test({
  name: "blas Select equals the cpu kernel for any shape and values (property)",
  ignore: ignoreBlas,
  fn: async () => {
    const value = fc.oneof(fc.constantFrom(NaN, -0, Infinity), fc.float());
    const cases = fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 4 }).chain((shape) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const values = fc.array(value, { minLength: n, maxLength: n });
      return fc.tuple(
        fc.constant(shape),
        fc.array(fc.boolean(), { minLength: n, maxLength: n }),
        values,
        values,
      );
    });
    await fc.assert(
      fc.asyncProperty(cases, async ([shape, flags, t, e]) => {
        const r = await onBoth(() =>
          tf.where(tf.tensor(flags, shape, "bool"), tf.tensor(t, shape), tf.tensor(e, shape))
        );
        assertBothSame(r, `shape ${shape}`);
      }),
      { numRuns: 80, seed: 29 },
    );
  },
});
