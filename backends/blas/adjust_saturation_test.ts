import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ADJUST_SATURATION_KERNEL, adjustSaturation as adjustSaturationOp } from "@selfsup/augment";
import { assertBothSame, ignoreBlas, onBoth } from "./_test_util.ts";
import { adjustSaturation } from "./adjust_saturation.ts";

const SPECIAL = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 0.5, 1e-40, 3.4e38, -3.4e38, 2];

/** A colour batch in [0, 1] with gray pixels, tied maxima and specials at the start. */
function hardBatch(n: number, h: number, w: number, seed: number): tf.Tensor4D {
  const x = tf.randomUniform([n, h, w, 3], 0, 1, "float32", seed).dataSync() as Float32Array;
  // Pixel 0..: every special in every channel position; then gray pixels and tied maxima,
  // which pick the hue formula by the first channel that equals the max.
  SPECIAL.forEach((v, i) => x[i] = v);
  const extra = [[0.3, 0.3, 0.3], [0.7, 0.7, 0.2], [0.2, 0.7, 0.7], [0.7, 0.2, 0.7], [0, 0, 0]];
  extra.flat().forEach((v, i) => x[SPECIAL.length + 3 + i] = v);
  return tf.tensor4d(x, [n, h, w, 3]);
}

Deno.test({
  name:
    "blas SelfsupAdjustSaturation is registered for blas only, and adjustSaturation runs it there",
  ignore: ignoreBlas,
  fn: () => {
    assert.equal(tf.getKernel(ADJUST_SATURATION_KERNEL, "blas")?.kernelFunc, adjustSaturation);
    assert.equal(tf.getKernel(ADJUST_SATURATION_KERNEL, "cpu"), undefined);
  },
});

Deno.test({
  name: "blas SelfsupAdjustSaturation equals the op chain on cpu bit for bit on a 96x96 batch",
  ignore: ignoreBlas,
  fn: async () => {
    const factors = [0, 0.2, 0.5, 1, 1.2, 1.8, 3, 1e9];
    const r = await onBoth(() => {
      const images = hardBatch(factors.length, 96, 96, 3);
      return adjustSaturationOp(images, factors, { checkValues: false });
    });
    assertBothSame(r, "[8, 96, 96, 3]");
    // It desaturated something: image 2 (factor 0.5) changed.
    const batch = hardBatch(factors.length, 96, 96, 3);
    const before = batch.dataSync();
    batch.dispose();
    const size = 96 * 96 * 3;
    const changed = r.blas[0].slice(2 * size, 3 * size).filter((v, k) =>
      v !== before[2 * size + k]
    );
    assert.ok(changed.length > size / 2, `${changed.length} values changed`);
  },
});

Deno.test({
  name:
    "blas SelfsupAdjustSaturation equals the op chain on cpu for any values and factors (property)",
  ignore: ignoreBlas,
  fn: async () => {
    const value = fc.oneof(
      fc.constantFrom(...SPECIAL),
      fc.float(),
      fc.float({ min: 0, max: 1, noNaN: true }),
    );
    const cases = fc.tuple(
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 4 }),
    ).chain(([n, h, w]) =>
      fc.tuple(
        fc.constant([n, h, w, 3] as [number, number, number, number]),
        fc.array(value, { minLength: n * h * w * 3, maxLength: n * h * w * 3 }),
        fc.array(fc.oneof(fc.float({ min: 0, max: 4, noNaN: true }), fc.constantFrom(0, 1, 1e30)), {
          minLength: n,
          maxLength: n,
        }),
      )
    );
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(cases, async ([shape, values, factors]) => {
        runs++;
        const r = await onBoth(() =>
          adjustSaturationOp(tf.tensor4d(values, shape), factors, { checkValues: false })
        );
        assertBothSame(r, `shape ${shape}, factors ${factors}`);
      }),
      { numRuns: 200, seed: 31 },
    );
    assert.equal(runs, 200);
  },
});

Deno.test({
  name: "blas SelfsupAdjustSaturation refuses images that are not float32 [N, H, W, 3]",
  ignore: ignoreBlas,
  fn: async () => {
    assert.ok(await tf.setBackend("blas"));
    const run = (images: tf.Tensor, factors: tf.Tensor) => () =>
      tf.engine().runKernel(ADJUST_SATURATION_KERNEL, { images, factors });
    const gray = tf.zeros([2, 2, 2, 1]);
    const ints = tf.zeros([2, 2, 2, 3], "int32");
    const two = tf.zeros([2]);
    assert.throws(run(gray, two), {
      name: "TypeError",
      message:
        "SelfsupAdjustSaturation: needs float32 images [N, H, W, 3] and factors [N], got float32 [2,2,2,1] and float32 [2]",
    });
    assert.throws(run(ints, two), { name: "TypeError", message: /got int32 \[2,2,2,3\]/ });
    assert.throws(run(tf.zeros([2, 2, 2, 3]), tf.zeros([3])), {
      name: "TypeError",
      message: /and float32 \[3\]$/,
    });
    tf.dispose([gray, ints, two]);
  },
});
