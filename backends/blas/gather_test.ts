import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import fc from "fast-check";
import { assertBothClose, ignoreBlas, onBoth } from "./_test_util.ts";

Deno.test({
  name: "blas GatherV2 matches the cpu backend on any axis and indices, gradients included",
  ignore: ignoreBlas,
  fn: async () => {
    const cases = fc.sample(
      fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }).chain((shape) =>
        fc.tuple(
          fc.constant(shape),
          fc.integer({ min: 0, max: shape.length - 1 }).chain((axis) =>
            fc.tuple(
              fc.constant(axis),
              fc.array(fc.integer({ min: 0, max: shape[axis]! - 1 }), { maxLength: 7 }),
            )
          ),
        )
      ),
      { numRuns: 100, seed: 17 },
    );
    for (const [i, [shape, [axis, indices]]] of cases.entries()) {
      const r = await onBoth(() => {
        const x = tf.randomNormal(shape, 0, 1, "float32", 1 + i);
        const idx = tf.tensor1d(indices, "int32");
        const y = tf.gather(x, idx, axis);
        const w = tf.randomNormal(y.shape, 0, 1, "float32", 300 + i);
        return [y, tf.grad((x) => tf.sum(tf.mul(tf.gather(x, idx, axis), w)))(x)];
      });
      assertBothClose(r, 1e-6, `shape ${shape} axis ${axis} indices ${indices}`);
    }
  },
});

Deno.test({
  name: "blas GatherV2 gathers whole images with 2-D indices and rejects indices out of range",
  ignore: ignoreBlas,
  fn: async () => {
    const r = await onBoth(() => {
      const x = tf.randomNormal([5, 8, 8, 3], 0, 1, "float32", 2);
      return tf.gather(x, tf.tensor2d([[4, 0], [2, 2]], [2, 2], "int32"));
    });
    assertBothClose(r, 0, "2-D indices");
    assert.ok(await tf.setBackend("blas"));
    const x = tf.zeros([3, 4]);
    assert.throws(
      () => tf.gather(x, tf.tensor1d([3], "int32")),
      /index value 3 is not in \[0, 2\]/,
    );
    assert.throws(() => tf.gather(x, tf.tensor1d([-1], "int32")), /index value -1/);
    tf.dispose(x);
  },
});
