import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import fc from "fast-check";
import { assertBothClose, ignoreBlas, onBoth } from "./_test_util.ts";
import { reductionBlocks } from "./reduce.ts";

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
