import * as tf from "@tensorflow/tfjs";
import { assertBothClose, ignoreBlas, onBoth, rng } from "./_test_util.ts";

Deno.test({
  name: "blas BatchMatMul matches the cpu backend: transposes, batches, broadcast, gradients",
  ignore: ignoreBlas,
  fn: async () => {
    const pick = rng(3);
    for (let i = 0; i < 30; i++) {
      const [m, k, n] = [1 + pick(9), 1 + pick(9), 1 + pick(9)];
      const ta = pick(2) === 1;
      const tb = pick(2) === 1;
      // Batch dims: none, equal, or one side broadcast (size 1 or absent).
      const batches = [[], [3], [2, 2]][pick(3)];
      const mode = pick(3);
      const aBatch = mode === 1 ? batches.map(() => 1) : batches;
      const bBatch = mode === 2 ? [] : batches;
      const aShape = [...aBatch, ...(ta ? [k, m] : [m, k])];
      const bShape = [...bBatch, ...(tb ? [n, k] : [k, n])];
      const r = await onBoth(() => {
        const a = tf.randomNormal(aShape, 0, 1, "float32", 1 + i);
        const b = tf.randomNormal(bShape, 0, 1, "float32", 50 + i);
        const f = (a: tf.Tensor, b: tf.Tensor) => tf.matMul(a, b, ta, tb);
        const y = f(a, b);
        // tfjs's BatchMatMul gradient does not reduce over broadcast batch dims.
        if (mode !== 0) return [y];
        const w = tf.randomNormal(y.shape, 0, 1, "float32", 99 + i);
        return [y, ...tf.grads((a, b) => tf.sum(tf.mul(f(a, b), w)))([a, b])];
      });
      assertBothClose(r, 1e-4, `a ${aShape} b ${bShape} ta ${ta} tb ${tb}`);
    }
  },
});

Deno.test({
  name: "blas _FusedMatMul with bias and activations matches the cpu backend, gradients too",
  ignore: ignoreBlas,
  fn: async () => {
    for (const activation of ["linear", "relu", "sigmoid"] as const) {
      for (const [ta, tb] of [[false, false], [true, false], [false, true]]) {
        const r = await onBoth(() => {
          const a = tf.randomNormal(ta ? [7, 5] : [5, 7], 0, 1, "float32", 1) as tf.Tensor2D;
          const b = tf.randomNormal(tb ? [6, 7] : [7, 6], 0, 1, "float32", 2) as tf.Tensor2D;
          const bias = tf.randomNormal([6], 0, 1, "float32", 3);
          const f = (a: tf.Tensor, b: tf.Tensor, bias: tf.Tensor) =>
            tf.fused.matMul({
              a: a as tf.Tensor2D,
              b: b as tf.Tensor2D,
              transposeA: ta,
              transposeB: tb,
              bias,
              activation,
            });
          const y = f(a, b, bias);
          const w = tf.randomNormal(y.shape, 0, 1, "float32", 4);
          return [y, ...tf.grads((a, b, c) => tf.sum(tf.mul(f(a, b, c), w)))([a, b, bias])];
        });
        assertBothClose(r, 1e-4, `${activation} ta ${ta} tb ${tb}`);
      }
    }
  },
});

Deno.test({
  name: "blas BatchMatMul falls back to the cpu kernel for int32 and mixed broadcasts",
  ignore: ignoreBlas,
  fn: async () => {
    assertBothClose(
      await onBoth(() =>
        tf.matMul(tf.tensor2d([[1, 2]], [1, 2], "int32"), tf.tensor2d([[3], [4]], [2, 1], "int32"))
      ),
    );
    // [2, 1] x [1, 3] batch dims broadcast to [2, 3]: neither side's batch is 1 or the whole.
    assertBothClose(
      await onBoth(() =>
        tf.matMul(
          tf.randomNormal([2, 1, 3, 4], 0, 1, "float32", 1),
          tf.randomNormal([1, 3, 4, 2], 0, 1, "float32", 2),
        )
      ),
    );
  },
});
