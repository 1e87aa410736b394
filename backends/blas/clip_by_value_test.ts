import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import fc from "fast-check";
import { assertBothSame, ignoreBlas, onBoth } from "./_test_util.ts";
import { clipByValue } from "./clip_by_value.ts";

/** The kernel itself, without the op's check that min <= max and its shortcut for min = max. */
function clipKernel(x: tf.Tensor, lo: number, hi: number): tf.Tensor {
  return tf.engine().runKernel("ClipByValue", { x }, { clipValueMin: lo, clipValueMax: hi });
}

const SPECIAL = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 0.1, 1e-40, -1e-40, 3.4e38, -3.4e38];

Deno.test({
  name: "blas ClipByValue is registered as the blas backend's own kernel",
  ignore: ignoreBlas,
  fn: () => {
    assert.equal(tf.getKernel("ClipByValue", "blas")?.kernelFunc, clipByValue);
  },
});

Deno.test({
  name: "blas ClipByValue equals the cpu kernel bit for bit on an augmented batch with specials",
  ignore: ignoreBlas,
  fn: async () => {
    // A colour step's output: [8, 96, 96, 3] around [0, 1], specials at the start.
    const r = await onBoth(() => {
      const x = tf.randomUniform([8, 96, 96, 3], -0.3, 1.6, "float32", 3).dataSync();
      SPECIAL.forEach((v, i) => x[i] = v);
      const images = tf.tensor4d(x, [8, 96, 96, 3]);
      return [tf.clipByValue(images, 0, 1), tf.clipByValue(images, -0.5, 0.25)];
    });
    assertBothSame(r, "[8, 96, 96, 3]");
    // The clip did something: values outside [0, 1] came in, none came out.
    assert.ok(r.blas[0].every((v) => Number.isNaN(v) || (v >= 0 && v <= 1)));
    assert.equal(r.blas[0].filter(Number.isNaN).length, 1);
  },
});

Deno.test({
  name: "blas ClipByValue keeps signed zeros, NaN and the bounds' float32 rounding as cpu does",
  ignore: ignoreBlas,
  fn: async () => {
    // Every special against bounds that are zeros of either sign, infinite, equal, reversed
    // (only reachable through the kernel) or not float32 numbers (0.1, 1 / 3).
    const bounds: [number, number][] = [
      [0, 1],
      [-0, 1],
      [-1, 0],
      [-1, -0],
      [0, 0],
      [-0, 0],
      [0, -0],
      [0.1, 1 / 3],
      [-Infinity, Infinity],
      [-Infinity, 0.5],
      [2, 2],
      [1, -1],
      [NaN, 1],
    ];
    for (const [lo, hi] of bounds) {
      const r = await onBoth(() => clipKernel(tf.tensor1d(SPECIAL), lo, hi));
      assertBothSame(r, `[${lo}, ${hi}]`);
    }
    // [0, 1] keeps a -0 (Math.max(-0, 0) would give 0) and clips -2 to the bound, +0.
    const r = await onBoth(() => clipKernel(tf.tensor1d([-0, 0, -2]), 0, 1));
    assert.ok(Object.is(r.blas[0][0], -0) && Object.is(r.blas[0][1], 0));
    assert.ok(Object.is(r.blas[0][2], 0));
  },
});

Deno.test({
  name: "blas ClipByValue handles empty and size-1 tensors and falls back for int32",
  ignore: ignoreBlas,
  fn: async () => {
    const r = await onBoth(() => [
      tf.clipByValue(tf.zeros([0, 3]), 0, 1),
      tf.clipByValue(tf.scalar(7), 0, 1),
      tf.clipByValue(tf.ones([1, 1, 1, 1]).mul(-2), 0, 1),
      tf.clipByValue(tf.tensor2d([[-3, 0], [5, 2]], [2, 2], "int32"), -1, 3),
    ]);
    assertBothSame(r, "edges");
    assert.deepEqual(r.kinds.blas, [
      "float32 [0,3]",
      "float32 []",
      "float32 [1,1,1,1]",
      "int32 [2,2]",
    ]);
    assert.deepEqual(Array.from(r.blas[3]), [-1, 0, 3, 2]);
  },
});

Deno.test({
  name: "blas ClipByValue equals the cpu kernel for any values and bounds (property)",
  ignore: ignoreBlas,
  fn: async () => {
    const value = fc.oneof(fc.constantFrom(...SPECIAL), fc.float({ noDefaultInfinity: false }));
    const bound = fc.oneof(
      fc.constantFrom(-0, 0, 1, -1, 0.1, Infinity, -Infinity),
      fc.double({ noNaN: true }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(value, { maxLength: 60 }),
        bound,
        bound,
        async (values, a, b) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          const r = await onBoth(() => tf.clipByValue(tf.tensor1d(values), lo, hi));
          assertBothSame(r, `${values} in [${lo}, ${hi}]`);
        },
      ),
      { numRuns: 80, seed: 11 },
    );
  },
});
