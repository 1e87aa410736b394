import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { assertBothClose, ignoreBlas, onBoth } from "./_test_util.ts";

Deno.test({
  name: "blas Tile matches the cpu backend for any shape and reps, broadcastTo included",
  ignore: ignoreBlas,
  fn: async () => {
    const cases = fc.sample(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 3 })), {
        minLength: 0,
        maxLength: 4,
      }),
      { numRuns: 100, seed: 5 },
    );
    for (const [i, dims] of cases.entries()) {
      const shape = dims.map(([d]) => d);
      const reps = dims.map(([, r]) => r);
      const r = await onBoth(() => {
        const x = tf.randomNormal(shape, 0, 1, "float32", 1 + i);
        const w = tf.randomNormal(shape.map((d, k) => d * reps[k]), 0, 1, "float32", 300 + i);
        const y = tf.tile(x, reps);
        // tfjs's Tile gradient exists for ranks 1 to 4 only.
        if (shape.length === 0) return [y];
        return [y, tf.grad((x) => tf.sum(tf.mul(tf.tile(x, reps), w)))(x)];
      });
      assertBothClose(r, 1e-5, `shape ${shape} reps ${reps}`);
    }
    assertBothClose(await onBoth(() => tf.broadcastTo(tf.tensor1d([1, 2, 3]), [4, 2, 3])));
  },
});

Deno.test({
  name: "blas Tile falls back to the cpu kernel for int32 and bool",
  ignore: ignoreBlas,
  fn: async () => {
    assertBothClose(await onBoth(() => tf.tile(tf.tensor1d([1, 2], "int32"), [3])), 0);
    assertBothClose(await onBoth(() => tf.tile(tf.tensor1d([true, false], "bool"), [2])), 0);
  },
});
