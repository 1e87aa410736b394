import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { byolProjector } from "./byol_projector.ts";
import { dense } from "./_test_utils.ts";
import {
  maxRelativeError,
  moments,
  normalize,
  randomizeWeights,
  randomTensor,
  relu,
  toF64,
  weightsOf,
} from "../internal/testing.ts";

tf.enableProdMode();

Deno.test("byolProjector() defaults to hidden 4096 and output 256, with biases", () => {
  const projector = byolProjector({ inputDim: 64, seed: 0 });
  assert.equal(projector.name, "byol_projector");
  assert.deepEqual(
    projector.trainableWeights.map((w) => `${w.originalName}:${w.shape}`),
    [
      "layer1_dense/kernel:64,4096",
      "layer1_dense/bias:4096",
      "layer1_bn/gamma:4096",
      "layer1_bn/beta:4096",
      "layer2_dense/kernel:4096,256",
      "layer2_dense/bias:256",
    ],
  );
  projector.dispose();
});

Deno.test("byolProjector() is Linear -> BN -> ReLU -> Linear in both modes (float64 reference)", () => {
  const projector = byolProjector({ inputDim: 5, hiddenDim: 7, outputDim: 3, seed: 1 });
  assert.equal(randomizeWeights(projector, 4), 8);
  const y = randomTensor([6, 5], 2, -1, 1);
  const [k1, b1] = weightsOf(projector, "layer1_dense");
  const [gamma, beta, movingMean, movingVariance] = weightsOf(projector, "layer1_bn")
    .map((w) => w.data);
  const [k2, b2] = weightsOf(projector, "layer2_dense");
  const hidden = dense(toF64(y), k1, b1);
  const batch = moments(hidden);
  const forward = (mean: Float64Array, variance: Float64Array) =>
    dense(relu(normalize(hidden, mean, variance, gamma, beta, 1e-5)), k2, b2);

  const z = projector.predict(y) as tf.Tensor;
  assert.ok(maxRelativeError(z, forward(movingMean, movingVariance), 1e-3) < 1e-4);
  const zTrain = projector.apply(y, { training: true }) as tf.Tensor;
  assert.ok(maxRelativeError(zTrain, forward(batch.mean, batch.variance), 1e-3) < 1e-4);
  const newMean = weightsOf(projector, "layer1_bn")[2].data;
  assert.equal(newMean.length, 7);
  newMean.forEach((m, c) =>
    assert.ok(Math.abs(m - (0.9 * movingMean[c] + 0.1 * batch.mean[c])) < 1e-6)
  );
  tf.dispose([y, z, zTrain]);
  projector.dispose();
});

Deno.test("byolProjector() kernels start like hk.Linear: normal truncated at 2 sd, sd 1/sqrt(fan_in)", () => {
  const projector = byolProjector({ inputDim: 400, hiddenDim: 500, outputDim: 8, seed: 3 });
  const kernel = weightsOf(projector, "layer1_dense")[0].data;
  const sd = 1 / Math.sqrt(400);
  assert.ok(kernel.every((v) => Math.abs(v) <= 2 * sd + 1e-7));
  // A standard normal truncated to [-2, 2] has sd 0.8796.
  const rms = Math.sqrt(kernel.reduce((s, v) => s + v * v, 0) / kernel.length);
  assert.ok(Math.abs(rms / (0.8796 * sd) - 1) < 0.01, `rms ${rms}`);
  assert.ok(weightsOf(projector, "layer1_dense")[1].data.every((v) => v === 0));
  projector.dispose();
});

Deno.test("byolProjector() rejects bad options in the house format", () => {
  const cases: [Record<string, unknown>, typeof Error, string][] = [
    [{ inputDim: 0, seed: 0 }, RangeError, "inputDim must be an integer >= 1, got 0"],
    [
      { inputDim: 4, hiddenDim: 1.5, seed: 0 },
      RangeError,
      "hiddenDim must be an integer >= 1, got 1.5",
    ],
    [{ inputDim: "4", seed: 0 }, TypeError, 'inputDim must be an integer >= 1, got "4"'],
    [{ inputDim: 4, seed: 0.5 }, RangeError, "seed must be a safe integer, got 0.5"],
    [{ inputDim: 4, seed: "0" }, TypeError, 'seed must be a safe integer, got "0"'],
  ];
  for (const [options, type, message] of cases) {
    assert.throws(() => byolProjector(options as never), {
      name: type.name,
      message: `byolProjector(): ${message}`,
    });
  }
  assert.throws(() => byolProjector(undefined as never), {
    name: "TypeError",
    message: "byolProjector(): options must be an object, got undefined",
  });
});
