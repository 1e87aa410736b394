// adjustContrast on blas takes @selfsup/augment's path for broadcasting backends (the per-image
// offsets added as [N, 1, 1, C]); its values must be those of the ones-column product the stock
// cpu backend runs, computed on the same backend (the channel means come from the backend's own
// matrix product, so blas and cpu differ by float32 summation order there; checked to 1e-6).
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import fc from "fast-check";
import { adjustContrast } from "@selfsup/augment";
import { assertBothClose, assertBothSame, ignoreBlas, onBoth } from "./_test_util.ts";

/** The cpu backend's formulation, x f + ones [HW, 1] @ (mean (1 - f)), clipped, on any backend. */
function columnProduct(images: tf.Tensor4D, factors: number[]): tf.Tensor4D {
  const [n, h, w, c] = images.shape;
  const pixels = images.reshape([n, h * w, c]);
  const mean = tf.matMul(tf.fill([n, 1, h * w], 1 / (h * w)), pixels);
  const f = tf.tensor3d(factors, [n, 1, 1]);
  const offset = tf.matMul(tf.ones([n, h * w, 1]), mean.mul(tf.sub(1, f))).reshape(images.shape);
  const spread = tf.tensor4d(factors, [n, 1, 1, 1]).tile([1, h, w, c]);
  return tf.clipByValue(images.mul(spread).add(offset), 0, 1);
}

/** adjustContrast and the column product, on the blas backend. */
async function onBlas(images: () => tf.Tensor4D, factors: number[]) {
  assert.ok(await tf.setBackend("blas"));
  const before = tf.memory().numTensors;
  const [got, want] = tf.tidy(() =>
    [adjustContrast(images(), factors, { checkValues: false }), columnProduct(images(), factors)]
      .map((t) => t.dataSync() as Float32Array)
  );
  assert.equal(tf.memory().numTensors, before);
  return { blas: [got], cpu: [want], kinds: { blas: ["same"], cpu: ["same"] } };
}

const SPECIAL = [NaN, Infinity, -Infinity, 0, -0, 1, 0.5, 2, -1];

Deno.test({
  name: "adjustContrast on blas equals the column-product formulation bit for bit on 96x96x3",
  ignore: ignoreBlas,
  fn: async () => {
    const factors = [0, 0.4, 1, 1.6, 3];
    const make = () => {
      const x = tf.randomUniform([5, 96, 96, 3], 0, 1, "float32", 7).dataSync() as Float32Array;
      // Image 3 black with -0s: its offsets are 0 x (1 - 1.6) = -0, which the cpu product makes 0.
      x.fill(-0, 3 * 96 * 96 * 3, 4 * 96 * 96 * 3);
      return tf.tensor4d(x, [5, 96, 96, 3]);
    };
    const r = await onBlas(make, factors);
    assertBothSame(r, "[5, 96, 96, 3]");
    const zeros = r.blas[0].slice(3 * 96 * 96 * 3, 4 * 96 * 96 * 3);
    assert.ok(zeros.every((v) => Object.is(v, 0)), "the black image comes out +0");
    const both = await onBoth(() => adjustContrast(make(), factors, { checkValues: false }));
    assertBothClose(both, 1e-6, "blas vs cpu");
  },
});

Deno.test({
  name: "adjustContrast on blas equals the column-product formulation for any values (property)",
  ignore: ignoreBlas,
  fn: async () => {
    const value = fc.oneof(fc.constantFrom(...SPECIAL), fc.float({ min: 0, max: 1, noNaN: true }));
    const cases = fc.tuple(
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 1, max: 5 }),
      fc.constantFrom(1, 3),
    ).chain(([n, h, w, c]) =>
      fc.tuple(
        fc.constant([n, h, w, c] as [number, number, number, number]),
        fc.array(value, { minLength: n * h * w * c, maxLength: n * h * w * c }),
        fc.array(fc.oneof(fc.float({ min: 0, max: 4, noNaN: true }), fc.constantFrom(0, 1, 2)), {
          minLength: n,
          maxLength: n,
        }),
      )
    );
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(cases, async ([shape, values, factors]) => {
        runs++;
        const r = await onBlas(() => tf.tensor4d(values, shape), factors);
        assertBothSame(r, `shape ${shape}, factors ${factors}`);
      }),
      { numRuns: 200, seed: 47 },
    );
    assert.equal(runs, 200);
  },
});
