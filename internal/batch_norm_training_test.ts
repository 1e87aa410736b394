import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { batchNormTraining, hasBatchNormTrainingKernel } from "./batch_norm_training.ts";
import {
  assertAllClose,
  maxRelativeError,
  moments,
  normalize,
  randomTensor,
  toF64,
  withReferenceBatchNormKernels,
} from "./testing.ts";

tf.enableProdMode();
await tf.setBackend("cpu");

Deno.test("batchNormTraining() without a fused kernel matches a float64 reference", () => {
  assert.equal(hasBatchNormTrainingKernel(), false);
  const x = randomTensor([3, 4, 2, 5], 1, -4, 8);
  const gamma = randomTensor([5], 2, 0.5, 1.5);
  const beta = randomTensor([5], 3, -1, 1);
  const { y, mean, variance } = batchNormTraining(x, gamma, beta, 1e-3);
  const expected = moments(toF64(x));
  const expectedY = normalize(
    toF64(x),
    expected.mean,
    expected.variance,
    toF64(gamma).data,
    toF64(beta).data,
    1e-3,
  );
  assert.ok(maxRelativeError(y, expectedY, 1e-3) < 1e-4);
  assert.ok(maxRelativeError(mean, { data: expected.mean, shape: [5] }, 1e-3) < 1e-5);
  assert.ok(maxRelativeError(variance, { data: expected.variance, shape: [5] }, 1e-3) < 1e-5);
  tf.dispose([x, gamma, beta, y, mean, variance]);
});

/** y, mean, variance and the gradients of a loss that uses all three, as flat arrays. */
function forwardAndGrads(shape: number[], seed: number): Float32Array[] {
  return tf.tidy(() => {
    const c = shape[shape.length - 1];
    const x = randomTensor(shape, seed, -2, 3);
    const gamma = randomTensor([c], seed + 1, 0.5, 1.5);
    const beta = randomTensor([c], seed + 2, -1, 1);
    const r = randomTensor(shape, seed + 3, -1, 1);
    const rm = randomTensor([c], seed + 4, -1, 1);
    const rv = randomTensor([c], seed + 5, -1, 1);
    const loss = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => {
      const out = batchNormTraining(x, gamma, beta, 1e-3);
      return tf.addN([
        tf.sum(tf.mul(out.y, r)),
        tf.sum(tf.mul(out.mean, rm)),
        tf.sum(tf.mul(out.variance, rv)),
      ]);
    };
    const { y, mean, variance } = batchNormTraining(x, gamma, beta, 1e-3);
    return [y, mean, variance, ...tf.grads(loss)([x, gamma, beta])].map((t) =>
      Float32Array.from(t.dataSync())
    );
  });
}

Deno.test("batchNormTraining() through a fused kernel gives the op chain's values and gradients", async () => {
  const shapes = [[2, 3, 3, 4], [6, 5], [1, 2, 2, 1]];
  const chain = shapes.map((s, i) => forwardAndGrads(s, 10 * i));
  const fused = await withReferenceBatchNormKernels(() => {
    assert.equal(hasBatchNormTrainingKernel(), true);
    return shapes.map((s, i) => forwardAndGrads(s, 10 * i));
  });
  assert.equal(hasBatchNormTrainingKernel(), false);
  assert.equal(fused.length, 3);
  fused.forEach((outputs, s) => {
    assert.equal(outputs.length, 6); // y, mean, variance, dx, dgamma, dbeta
    assertAllClose(outputs, chain[s], 1e-4);
  });
});

Deno.test("batchNormTraining() rejects bad tensors and epsilon in the house format", () => {
  const x = tf.zeros([4, 3]);
  const cases: [() => unknown, typeof Error, string][] = [
    [
      () => batchNormTraining(tf.zeros([3]), tf.ones([3]), tf.zeros([3]), 0),
      TypeError,
      "batchNormTraining(): x must be a tensor of rank >= 2 [..., C], got a float32 tensor of shape [3]",
    ],
    [
      () => batchNormTraining([1, 2] as never, tf.ones([3]), tf.zeros([3]), 0),
      TypeError,
      "batchNormTraining(): x must be a tensor, got [1, 2]",
    ],
    [
      () => batchNormTraining(x, tf.ones([2]), tf.zeros([3]), 0),
      RangeError,
      "batchNormTraining(): gamma must be of shape [3] (C of x [4,3]), got a float32 tensor of shape [2]",
    ],
    [
      () => batchNormTraining(x, tf.ones([3]), tf.zeros([1, 3]), 0),
      TypeError,
      "batchNormTraining(): beta must be a rank-1 tensor [C], got a float32 tensor of shape [1,3]",
    ],
    [
      () => batchNormTraining(x, tf.ones([3]), tf.zeros([3]), -1),
      RangeError,
      "batchNormTraining(): epsilon must be a finite number >= 0, got -1",
    ],
    [
      () => batchNormTraining(x, tf.ones([3]), tf.zeros([3]), NaN),
      RangeError,
      "batchNormTraining(): epsilon must be a finite number >= 0, got NaN",
    ],
    [
      () => batchNormTraining(x, tf.ones([3]), tf.zeros([3]), "0" as never),
      TypeError,
      'batchNormTraining(): epsilon must be a finite number >= 0, got "0"',
    ],
  ];
  for (const [call, type, message] of cases) {
    tf.tidy(() => assert.throws(call, { name: type.name, message }));
  }
  x.dispose();
});
