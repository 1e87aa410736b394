// The fused colour kernels (hue, saturation): each equals augment's op chain on tfjs's cpu
// backend bit for bit, on a hard 96x96 batch and for any values (property), and refuses other
// inputs. One suite, run for each kernel.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  ADJUST_HUE_KERNEL,
  ADJUST_SATURATION_KERNEL,
  adjustHue as adjustHueOp,
  adjustSaturation as adjustSaturationOp,
} from "@selfsup/augment";
import { assertBothSame, ignoreBlas, onBoth } from "./_test_util.ts";
import { adjustHue } from "./adjust_hue.ts";
import { adjustSaturation } from "./adjust_saturation.ts";
import type { BlasKernelArgs } from "./_util.ts";

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

interface ColourKernel {
  name: string;
  /** The kernel's per-image input. */
  parameter: string;
  kernel: (args: BlasKernelArgs) => tf.TensorInfo;
  /** The public op whose chain the kernel replaces. */
  op: (images: tf.Tensor4D, values: number[]) => tf.Tensor4D;
  /** One value per image of the 96x96 batch; image 2's changes it. */
  batchValues: number[];
  /** Per-image values for the property. */
  values: fc.Arbitrary<number>;
}

const KERNELS: ColourKernel[] = [
  {
    name: ADJUST_HUE_KERNEL,
    parameter: "sextants",
    kernel: adjustHue,
    op: (images, deltas) => adjustHueOp(images, deltas, { checkValues: false }),
    batchValues: [-1, -0.5, -0.1, 0, 0.05, 1 / 3, 0.5, 1],
    values: fc.float({ min: -1, max: 1, noNaN: true }),
  },
  {
    name: ADJUST_SATURATION_KERNEL,
    parameter: "factors",
    kernel: adjustSaturation,
    op: (images, factors) => adjustSaturationOp(images, factors, { checkValues: false }),
    batchValues: [0, 0.2, 0.5, 1, 1.2, 1.8, 3, 1e9],
    values: fc.oneof(fc.float({ min: 0, max: 4, noNaN: true }), fc.constantFrom(0, 1, 1e30)),
  },
];

for (const c of KERNELS) {
  Deno.test({
    name: `blas ${c.name} is registered for blas only, and its op runs it there`,
    ignore: ignoreBlas,
    fn: () => {
      assert.equal(tf.getKernel(c.name, "blas")?.kernelFunc, c.kernel);
      assert.equal(tf.getKernel(c.name, "cpu"), undefined);
    },
  });

  Deno.test({
    name: `blas ${c.name} equals the op chain on cpu bit for bit on a 96x96 batch`,
    ignore: ignoreBlas,
    fn: async () => {
      const n = c.batchValues.length;
      const r = await onBoth(() => c.op(hardBatch(n, 96, 96, 3), c.batchValues));
      assertBothSame(r, `[${n}, 96, 96, 3]`);
      // It changed something: most of image 2.
      const batch = hardBatch(n, 96, 96, 3);
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
    name: `blas ${c.name} equals the op chain on cpu for any values (property)`,
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
          fc.array(c.values, { minLength: n, maxLength: n }),
        )
      );
      let runs = 0;
      await fc.assert(
        fc.asyncProperty(cases, async ([shape, values, perImage]) => {
          runs++;
          const r = await onBoth(() => c.op(tf.tensor4d(values, shape), perImage));
          assertBothSame(r, `shape ${shape}, ${c.parameter} ${perImage}`);
        }),
        { numRuns: 200, seed: 31 },
      );
      assert.equal(runs, 200);
    },
  });

  Deno.test({
    name: `blas ${c.name} refuses images that are not float32 [N, H, W, 3]`,
    ignore: ignoreBlas,
    fn: async () => {
      assert.ok(await tf.setBackend("blas"));
      const run = (images: tf.Tensor, values: tf.Tensor) => () =>
        tf.engine().runKernel(c.name, { images, [c.parameter]: values });
      const gray = tf.zeros([2, 2, 2, 1]);
      const ints = tf.zeros([2, 2, 2, 3], "int32");
      const two = tf.zeros([2]);
      assert.throws(run(gray, two), {
        name: "TypeError",
        message: `${c.name}: needs float32 images [N, H, W, 3] and ${c.parameter} [N], got ` +
          "float32 [2,2,2,1] and float32 [2]",
      });
      assert.throws(run(ints, two), { name: "TypeError", message: /got int32 \[2,2,2,3\]/ });
      assert.throws(run(tf.zeros([2, 2, 2, 3]), tf.zeros([3])), {
        name: "TypeError",
        message: /and float32 \[3\]$/,
      });
      tf.dispose([gray, ints, two]);
    },
  });
}
