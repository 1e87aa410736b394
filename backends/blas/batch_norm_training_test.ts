import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { batchNormalization, batchNormTraining } from "@selfsup/encoders";
import {
  assertBothClose,
  assertClose,
  ignoreBlas,
  ignoreOneDnn,
  type KernelPath,
  onBoth,
  onPath,
  rng,
} from "./_test_util.ts";

/**
 * y, mean, variance and the gradients with respect to x, gamma and beta of a loss that uses y
 * and, when `statistics`, the mean and variance too (as a batch-norm layer never does). On
 * blas this runs the fused kernels; on cpu, tf.moments + tf.batchNorm.
 */
function forwardAndGrads(shape: number[], seed: number, statistics: boolean): tf.Tensor[] {
  const c = shape[shape.length - 1]!;
  const x = tf.randomNormal(shape, 0.5, 2, "float32", seed);
  const gamma = tf.randomNormal([c], 1, 0.5, "float32", seed + 1);
  const beta = tf.randomNormal([c], 0, 1, "float32", seed + 2);
  const r = tf.randomNormal(shape, 0, 1, "float32", seed + 3);
  const rm = tf.randomNormal([c], 0, 1, "float32", seed + 4);
  const rv = tf.randomNormal([c], 0, 1, "float32", seed + 5);
  const { y, mean, variance } = batchNormTraining(x, gamma, beta, 1e-3);
  const loss = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => {
    const out = batchNormTraining(x, gamma, beta, 1e-3);
    const loss = tf.sum(tf.mul(out.y, r));
    if (!statistics) return loss;
    return tf.addN([loss, tf.sum(tf.mul(out.mean, rm)), tf.sum(tf.mul(out.variance, rv))]);
  };
  return [y, mean, variance, ...tf.grads(loss)([x, gamma, beta])];
}

// Each test runs on both kernel paths: oneDNN's batch norm, and the JavaScript loops that
// serve where oneDNN is not installed.
for (const path of ["builtin", "onednn"] as KernelPath[]) {
  Deno.test({
    name:
      `blas fused batch-norm training matches tf.moments + tf.batchNorm on cpu, gradients too (${path})`,
    ignore: ignoreBlas || (path === "onednn" && ignoreOneDnn),
    fn: () =>
      onPath(path, async () => {
        const pick = rng(3);
        const shapes = [[2, 5, 4, 32], [64, 130], [3, 1], [2, 3, 3, 1], [1, 7, 7, 128]];
        for (let i = 0; i < 6; i++) {
          shapes.push([1 + pick(4), 1 + pick(6), 1 + pick(6), 1 + pick(70)]);
        }
        for (const [i, shape] of shapes.entries()) {
          // Gradients are sums over the batch, so they get a tolerance that grows with it.
          for (const statistics of [false, true]) {
            assertBothClose(
              await onBoth(() => forwardAndGrads(shape, 10 * i + 1, statistics)),
              2e-4,
              `${shape} statistics ${statistics}`,
            );
          }
        }
      }),
  });

  Deno.test({
    name: `blas fused batch-norm keeps the variance when the mean dwarfs the spread (${path})`,
    ignore: ignoreBlas || (path === "onednn" && ignoreOneDnn),
    fn: () =>
      onPath(path, async () => {
        const r = await onBoth(() => {
          const x = tf.add(tf.randomNormal([4000, 3], 0, 0.01, "float32", 5), 1000);
          const { mean, variance } = batchNormTraining(x, tf.ones([3]), tf.zeros([3]), 0);
          // float64 reference of the variance on the same values
          const values = x.dataSync();
          const reference = [0, 1, 2].map((c) => {
            let s = 0;
            for (let i = c; i < values.length; i += 3) s += values[i]!;
            const m = s / 4000;
            let q = 0;
            for (let i = c; i < values.length; i += 3) q += (values[i]! - m) ** 2;
            return q / 4000;
          });
          return [mean, variance, tf.tensor1d(reference)];
        });
        // Around 1e-4 each: float32 rounding of values near 1000 is 6e-5.
        assertClose(r.blas[1]!, r.blas[2]!, 1e-3, "blas variance vs float64");
        assertClose(r.blas[0]!, r.cpu[0]!, 1e-6, "mean");
      }),
  });

  Deno.test({
    name: `blas batchNormalization layer trains like tf.layers.batchNormalization (${path})`,
    ignore: ignoreBlas || (path === "onednn" && ignoreOneDnn),
    fn: () =>
      onPath(path, async () => {
        // Three training calls (outputs, moving statistics after each) and one inference call,
        // against the stock layer on the same backend.
        const run = (make: typeof batchNormalization) => {
          const layer = make({ momentum: 0.9, epsilon: 1e-5 });
          const outputs: tf.Tensor[] = [];
          for (let i = 0; i < 3; i++) {
            const x = tf.randomNormal([6, 5, 4, 8], i, 2, "float32", i + 1);
            const dx = tf.grad((x: tf.Tensor) => {
              const y = layer.apply(x, { training: true }) as tf.Tensor;
              return tf.sum(tf.mul(y, tf.randomNormal(y.shape, 0, 1, "float32", 99)));
            })(x);
            outputs.push(layer.apply(x, { training: true }) as tf.Tensor, dx);
            outputs.push(...layer.getWeights().map((w) => w.clone()));
          }
          outputs.push(layer.apply(tf.ones([2, 5, 4, 8])) as tf.Tensor);
          layer.dispose();
          return outputs;
        };
        assert.ok(await tf.setBackend("blas"));
        const fused = tf.tidy(() => run(batchNormalization)).map((t) => {
          const v = Float32Array.from(t.dataSync());
          t.dispose();
          return v;
        });
        const stock = tf.tidy(() => run((args) => tf.layers.batchNormalization(args)));
        stock.forEach((t, i) => assertClose(fused[i]!, t.dataSync(), 1e-4, `output ${i}`));
        tf.dispose(stock);
      }),
  });
}
