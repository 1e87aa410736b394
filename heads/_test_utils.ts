// Float64 reference operations of the heads' tests, independent of tfjs. The operations the
// encoders' tests need too (moments, normalize, relu, ...) are in internal/testing.ts.
import * as tf from "@tensorflow/tfjs";
import { Random } from "@selfsup/internal";
import type { F64 } from "../internal/testing.ts";

/** x [N, I] times kernel [I, O] (row-major), plus an optional bias [O]. */
export function dense(x: F64, kernel: F64, bias?: F64): F64 {
  const [rows, inputs] = x.shape;
  const cols = kernel.shape[1];
  const data = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < cols; o++) {
      let sum = bias ? bias.data[o] : 0;
      for (let i = 0; i < inputs; i++) sum += x.data[r * inputs + i] * kernel.data[i * cols + o];
      data[r * cols + o] = sum;
    }
  }
  return { data, shape: [rows, cols] };
}

/**
 * Replaces every weight of `model` with uniform values from the house generator: kernels and
 * biases in [-0.5, 0.5), gammas and moving variances in [0.5, 1.5), betas and moving means in
 * [-0.5, 0.5). Frozen weights (the projection head's last beta) are left alone. Returns how
 * many weights it replaced.
 */
export function randomizeWeights(model: tf.LayersModel, seed: number): number {
  const random = new Random(seed);
  let count = 0;
  for (const w of model.weights) {
    if (!w.trainable && !/moving_(mean|variance)$/.test(w.originalName)) continue;
    const positive = /(gamma|moving_variance)$/.test(w.originalName);
    const values = Float32Array.from(
      { length: w.shape.reduce((n: number, d) => n * (d as number), 1) },
      () => (positive ? 0.5 : -0.5) + random.next(),
    );
    const t = tf.tensor(values, w.shape as number[]);
    w.write(t);
    t.dispose();
    count++;
  }
  return count;
}
