import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { batchNormTraining, hasBatchNormTrainingKernel } from "./batch_norm_training.ts";

tf.enableProdMode();
await tf.setBackend("cpu");

Deno.test("batchNormTraining() without a fused kernel matches a float64 reference", () => {
  assert.equal(hasBatchNormTrainingKernel(), false);
  const shape = [3, 4, 2, 5];
  const x = tf.randomNormal(shape, 2, 3, "float32", 1);
  const gamma = tf.randomNormal([5], 1, 0.5, "float32", 2);
  const beta = tf.randomNormal([5], 0, 1, "float32", 3);
  const { y, mean, variance } = batchNormTraining(x, gamma, beta, 1e-3);
  const xs = x.dataSync();
  const g = gamma.dataSync();
  const b = beta.dataSync();
  const n = xs.length / 5;
  const ys = y.dataSync();
  for (let c = 0; c < 5; c++) {
    let m = 0;
    for (let i = c; i < xs.length; i += 5) m += xs[i]! / n;
    let v = 0;
    for (let i = c; i < xs.length; i += 5) v += (xs[i]! - m) ** 2 / n;
    assert.ok(Math.abs(mean.dataSync()[c]! - m) < 1e-5, `mean ${c}`);
    assert.ok(Math.abs(variance.dataSync()[c]! - v) < 1e-4 * v, `variance ${c}`);
    for (let i = c; i < xs.length; i += 5) {
      const expected = (xs[i]! - m) / Math.sqrt(v + 1e-3) * g[c]! + b[c]!;
      assert.ok(Math.abs(ys[i]! - expected) < 1e-5, `y[${i}] ${ys[i]} vs ${expected}`);
    }
  }
  tf.dispose([x, gamma, beta, y, mean, variance]);
});

Deno.test("batchNormTraining() rejects bad shapes and epsilon, naming the argument", () => {
  const x = tf.zeros([4, 3]);
  assert.throws(
    () => batchNormTraining(tf.zeros([3]), tf.ones([3]), tf.zeros([3]), 0),
    /x must have rank >= 2/,
  );
  assert.throws(
    () => batchNormTraining(x, tf.ones([2]), tf.zeros([3]), 0),
    /gamma must have shape \[3\]/,
  );
  assert.throws(
    () => batchNormTraining(x, tf.ones([3]), tf.zeros([1, 3]), 0),
    /beta must have shape \[3\]/,
  );
  assert.throws(
    () => batchNormTraining(x, tf.ones([3]), tf.zeros([3]), -1),
    /epsilon must be >= 0/,
  );
  assert.throws(
    () => batchNormTraining(x, tf.ones([3]), tf.zeros([3]), NaN),
    /epsilon must be >= 0/,
  );
  tf.dispose(x);
});
