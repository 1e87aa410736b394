import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { assertBothClose, ignoreBlas, onBoth } from "./_test_util.ts";

Deno.test({
  name: "blas Slice matches the cpu backend for any begin and size, gradients included",
  ignore: ignoreBlas,
  fn: async () => {
    const cases = fc.sample(
      fc.array(
        fc.integer({ min: 1, max: 5 }).chain((d) =>
          fc.tuple(
            fc.constant(d),
            fc.integer({ min: 0, max: d - 1 }),
            fc.integer({ min: 0, max: d }),
          )
        ),
        { minLength: 1, maxLength: 4 }, // tfjs cannot slice a scalar
      ),
      { numRuns: 100, seed: 11 },
    );
    for (const [i, dims] of cases.entries()) {
      const shape = dims.map(([d]) => d);
      const begin = dims.map(([, b]) => b);
      // A size of -1 takes the rest of the dim; otherwise any length that fits.
      const size = dims.map(([d, b, s]) => (s === d ? -1 : Math.min(s, d - b)));
      const r = await onBoth(() => {
        const x = tf.randomNormal(shape, 0, 1, "float32", 1 + i);
        const y = tf.slice(x, begin, size);
        const w = tf.randomNormal(y.shape, 0, 1, "float32", 500 + i);
        return [y, tf.grad((x) => tf.sum(tf.mul(tf.slice(x, begin, size), w)))(x)];
      });
      assertBothClose(r, 0, `shape ${shape} begin ${begin} size ${size}`);
    }
  },
});

Deno.test({
  name: "blas Slice falls back to the cpu kernel for int32",
  ignore: ignoreBlas,
  fn: async () => {
    assertBothClose(
      await onBoth(() =>
        tf.slice(tf.tensor2d([[1, 2, 3], [4, 5, 6]], [2, 3], "int32"), [0, 1], [2, 2])
      ),
      0,
    );
  },
});
