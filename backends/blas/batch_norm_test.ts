import * as tf from "@tensorflow/tfjs";
import { assertBothClose, ignoreBlas, onBoth } from "./_test_util.ts";

Deno.test({
  name: "blas FusedBatchNorm matches the cpu backend with and without scale and offset",
  ignore: ignoreBlas,
  fn: async () => {
    for (const shape of [[2, 3, 4, 5], [7, 6], [3, 1], [2, 2, 3]]) {
      const c = shape[shape.length - 1];
      for (const withScale of [true, false]) {
        const r = await onBoth(() => {
          const x = tf.randomNormal(shape, 0, 2, "float32", 1);
          const mean = tf.randomNormal([c], 0, 1, "float32", 2);
          const variance = tf.randomUniform([c], 0.1, 2, "float32", 3);
          const offset = withScale ? tf.randomNormal([c], 0, 1, "float32", 4) : undefined;
          const scale = withScale ? tf.randomNormal([c], 0, 1, "float32", 5) : undefined;
          return tf.batchNorm(x, mean, variance, offset, scale, 1e-3);
        });
        assertBothClose(r, 1e-5, `shape ${shape} scale ${withScale}`);
      }
    }
  },
});

Deno.test({
  name: "blas FusedBatchNorm falls back to the cpu kernel for statistics shaped like x",
  ignore: ignoreBlas,
  fn: async () => {
    const r = await onBoth(() => {
      const x = tf.randomNormal([3, 4], 0, 1, "float32", 1);
      const mean = tf.randomNormal([3, 4], 0, 1, "float32", 2);
      const variance = tf.randomUniform([3, 4], 0.5, 1, "float32", 3);
      return tf.batchNorm(x, mean, variance, tf.fill([3, 4], 0.5), tf.fill([3, 4], 2));
    });
    assertBothClose(r, 1e-5);
  },
});
