import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { assertBothClose, ignoreBlas, onBoth } from "./_test_util.ts";

Deno.test({
  name: "blas PadV2 matches the cpu backend for any shape, paddings and constant",
  ignore: ignoreBlas,
  fn: async () => {
    const cases = fc.sample(
      fc.tuple(
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 4 }),
            fc.integer({ min: 0, max: 3 }),
            fc.integer({ min: 0, max: 3 }),
          ),
          { minLength: 1, maxLength: 4 },
        ),
        fc.constantFrom(0, -1.5, 7),
      ),
      { numRuns: 100, seed: 5 },
    );
    for (const [i, [dims, value]] of cases.entries()) {
      const shape = dims.map(([d]) => d);
      const paddings = dims.map(([, before, after]) => [before, after] as [number, number]);
      const r = await onBoth(() =>
        tf.pad(tf.randomNormal(shape, 0, 1, "float32", 1 + i), paddings, value)
      );
      assertBothClose(r, 0, `shape ${shape} paddings ${JSON.stringify(paddings)} value ${value}`);
    }
  },
});

Deno.test({
  name: "blas PadV2 falls back to the cpu kernel for int32",
  ignore: ignoreBlas,
  fn: async () => {
    assertBothClose(
      await onBoth(() =>
        tf.pad(tf.tensor2d([[1, 2], [3, 4]], [2, 2], "int32"), [[1, 0], [0, 2]], 9)
      ),
      0,
    );
  },
});
