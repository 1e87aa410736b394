import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { lars } from "./lars.ts";
import { setLearningRate } from "./set_learning_rate.ts";

tf.enableProdMode();

// One step of w <- w - lr * g on L = 3w (g = 3) from w = 1, with momentum 0 where there is one.
function stepWith(optimizer: tf.Optimizer, lr: number): number {
  const w = tf.variable(tf.scalar(1), true, `set_lr_${optimizer.getClassName()}/kernel`);
  setLearningRate(optimizer, lr);
  optimizer.minimize(() => tf.mul(w, 3) as tf.Scalar, false, [w]);
  const value = w.dataSync()[0];
  w.dispose();
  optimizer.dispose();
  return value;
}

Deno.test("setLearningRate() changes the rate that sgd and momentum actually use", () => {
  assert.equal(stepWith(tf.train.sgd(10), 0.25), 1 - 0.75);
  assert.equal(stepWith(tf.train.momentum(10, 0), 0.25), 1 - 0.75);
});

Deno.test("setLearningRate() changes the rate of optimizers with a plain field", () => {
  // LARS with eta = 1 and no weight decay: trust ratio |w| / |g| = 1/3, so the step is lr / 3 * 3.
  assert.equal(stepWith(lars({ learningRate: 10, momentum: 0, eta: 1, exclude: [] }), 0.5), 0.5);
  // Adam's first step is lr * sign(g) (up to epsilon).
  assert.ok(Math.abs(stepWith(tf.train.adam(10), 0.125) - 0.875) < 1e-6);
});

Deno.test("setLearningRate() rejects a bad rate or a non-optimizer, naming the argument", () => {
  const optimizer = tf.train.sgd(1);
  assert.throws(() => setLearningRate(optimizer, -1), {
    name: "RangeError",
    message: "setLearningRate(): value must be a finite number >= 0, got -1",
  });
  assert.throws(() => setLearningRate(optimizer, NaN), { name: "RangeError" });
  assert.throws(() => setLearningRate({} as tf.Optimizer, 1), {
    name: "TypeError",
    message: /^setLearningRate\(\): optimizer must be a tf.Optimizer/,
  });
  optimizer.dispose();
});
