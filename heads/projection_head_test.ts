import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { projectionHead } from "./projection_head.ts";
import {
  dense,
  type Matrix,
  maxRelativeError,
  moments,
  normalize,
  randomizeWeights,
  randomMatrix,
  relu,
  toMatrix,
  weightsOf,
} from "./_test_utils.ts";

tf.enableProdMode();

/**
 * Float64 forward of google-research/simclr tf2's nonlinear head: per layer Dense (bias only
 * without BN and not last) -> BN (no beta on the last layer) -> ReLU (not on the last layer).
 */
function reference(
  head: tf.LayersModel,
  h: Matrix,
  upTo: number,
  o: {
    hiddenDim: number;
    outputDim: number;
    layers: number;
    batchNorm: boolean;
    training: boolean;
  },
) {
  let x = h;
  const stats: Record<string, ReturnType<typeof moments>> = {};
  for (let j = 1; j <= upTo; j++) {
    const last = j === o.layers;
    const [kernel, bias] = weightsOf(head, `layer${j}_dense`);
    x = dense(x, kernel, last ? o.outputDim : o.hiddenDim, bias);
    if (o.batchNorm) {
      const [gamma, beta, movingMean, movingVariance] = weightsOf(head, `layer${j}_bn`);
      const s = o.training ? moments(x) : { mean: movingMean, variance: movingVariance };
      stats[`layer${j}_bn`] = s;
      x = normalize(x, s.mean, s.variance, gamma, last ? new Float64Array(x.cols) : beta);
    }
    if (!last) x = relu(x);
  }
  return { z: x, stats };
}

const count = (weights: tf.LayerVariable[]) =>
  weights.reduce((n, w) => n + w.shape.reduce((p: number, d) => p * (d as number), 1), 0);

Deno.test("projectionHead() builds SimCLR's layers with the tf2 bias and batch-norm rules", () => {
  const head = projectionHead({ inputDim: 6, hiddenDim: 5, outputDim: 4, layers: 3, seed: 0 });
  assert.deepEqual(head.layers.map((l) => `${l.name}:${l.getClassName()}`), [
    "input:InputLayer",
    "layer1_dense:Dense",
    "layer1_bn:BatchNormalization",
    "layer1_relu:ReLU",
    "layer2_dense:Dense",
    "layer2_bn:BatchNormalization",
    "layer2_relu:ReLU",
    "layer3_dense:Dense",
    "layer3_bn:BatchNormalization",
  ]);
  // Dense layers without bias; BN gamma + beta in the middle, only gamma trainable at the end.
  assert.equal(count(head.trainableWeights), 6 * 5 + 2 * 5 + 5 * 5 + 2 * 5 + 5 * 4 + 4);
  assert.deepEqual(
    head.nonTrainableWeights.map((w) => w.originalName).sort(),
    [
      "layer1_bn/moving_mean",
      "layer1_bn/moving_variance",
      "layer2_bn/moving_mean",
      "layer2_bn/moving_variance",
      "layer3_bn/beta",
      "layer3_bn/moving_mean",
      "layer3_bn/moving_variance",
    ],
  );
  const config = head.getLayer("layer1_bn").getConfig();
  assert.equal(config.momentum, 0.9);
  assert.equal(config.epsilon, 1e-5);
  head.dispose();

  const plain = projectionHead({ inputDim: 6, outputDim: 4, batchNorm: false, seed: 0 });
  assert.deepEqual(plain.layers.map((l) => l.name), [
    "input",
    "layer1_dense",
    "layer1_relu",
    "layer2_dense",
  ]);
  // hiddenDim defaults to inputDim; middle layer with bias, last without.
  assert.equal(count(plain.trainableWeights), 6 * 6 + 6 + 6 * 4);
  assert.equal(plain.name, "projection_head");
  plain.dispose();
});

Deno.test("projectionHead() with layers 1 is Dense -> BN and with layers 0 the identity", () => {
  const linear = projectionHead({ inputDim: 8, outputDim: 3, layers: 1, seed: 0 });
  assert.deepEqual(linear.layers.map((l) => l.name), ["input", "layer1_dense", "layer1_bn"]);
  linear.dispose();
  const none = projectionHead({ inputDim: 8, layers: 0, seed: 0 });
  assert.equal(none.weights.length, 0);
  const h = randomMatrix(3, 8, 1);
  const z = none.apply(h, { training: true }) as tf.Tensor;
  assert.deepEqual(z.dataSync(), h.dataSync());
  tf.dispose([h, z]);
  none.dispose();
});

Deno.test("projectionHead() matches a float64 reference in inference and training mode", () => {
  for (const [layers, batchNorm] of [[2, true], [3, true], [1, true], [3, false]] as const) {
    const o = { hiddenDim: 7, outputDim: 3, layers, batchNorm };
    const head = projectionHead({ inputDim: 5, ...o, seed: layers });
    randomizeWeights(head, 10 + layers);
    const h = randomMatrix(6, 5, layers);
    const z = head.predict(h) as tf.Tensor;
    const inference = reference(head, toMatrix(h), layers, { ...o, training: false });
    assert.ok(maxRelativeError(z, inference.z, 1e-3) < 1e-4, `layers ${layers}`);

    const training = reference(head, toMatrix(h), layers, { ...o, training: true });
    const before = Object.keys(training.stats).map((n) => weightsOf(head, n));
    const zTrain = head.apply(h, { training: true }) as tf.Tensor;
    assert.ok(maxRelativeError(zTrain, training.z, 1e-3) < 1e-4, `layers ${layers}`);
    Object.entries(training.stats).forEach(([name, { mean, variance }], i) => {
      const [, , movingMean, movingVariance] = weightsOf(head, name);
      const [, , oldMean, oldVariance] = before[i];
      mean.forEach((m, c) => {
        assert.ok(Math.abs(movingMean[c] - (0.9 * oldMean[c] + 0.1 * m)) < 1e-6);
        assert.ok(Math.abs(movingVariance[c] - (0.9 * oldVariance[c] + 0.1 * variance[c])) < 1e-5);
      });
    });
    tf.dispose([h, z, zTrain]);
    head.dispose();
  }
});

Deno.test("projectionHead() keeps the last batch norm's beta at zero while training", () => {
  const head = projectionHead({ inputDim: 4, outputDim: 3, seed: 2 });
  const h = randomMatrix(8, 4, 3);
  const optimizer = tf.train.sgd(0.5);
  const loss = () =>
    (head.apply(h, { training: true }) as tf.Tensor).sum(1).square().mean() as tf.Scalar;
  const gammaBefore = weightsOf(head, "layer2_bn")[0];
  // Without a variable list, minimize() trains every trainable variable in the engine.
  for (let i = 0; i < 3; i++) optimizer.minimize(loss);
  const [gamma, beta] = weightsOf(head, "layer2_bn");
  assert.notDeepEqual(gamma, gammaBefore);
  assert.deepEqual(beta, new Float64Array(3));
  assert.notDeepEqual(weightsOf(head, "layer1_bn")[1], new Float64Array(4));
  tf.dispose(h);
  optimizer.dispose();
  head.dispose();
});

Deno.test("projectionHead() kernels start from N(0, 0.01^2) and depend only on the seed", () => {
  const build = (seed: number) => projectionHead({ inputDim: 256, outputDim: 128, seed });
  const [a, b, c] = [build(3), build(3), build(4)];
  const kernel = weightsOf(a, "layer1_dense")[0];
  const mean = kernel.reduce((s, v) => s + v, 0) / kernel.length;
  const sd = Math.sqrt(kernel.reduce((s, v) => s + (v - mean) ** 2, 0) / kernel.length);
  assert.ok(Math.abs(mean) < 2e-4, `mean ${mean}`);
  assert.ok(Math.abs(sd / 0.01 - 1) < 0.02, `sd ${sd}`);
  assert.deepEqual(
    a.getWeights().map((w) => w.dataSync()),
    b.getWeights().map((w) => w.dataSync()),
  );
  assert.notDeepEqual(weightsOf(a, "layer1_dense")[0], weightsOf(c, "layer1_dense")[0]);
  assert.notDeepEqual(
    weightsOf(a, "layer1_dense")[0].slice(0, 128 * 128),
    weightsOf(a, "layer2_dense")[0],
  );
  [a, b, c].forEach((m) => m.dispose());
});

Deno.test("projectionHead() forward and backward leak no tensors", () => {
  const head = projectionHead({ inputDim: 16, outputDim: 8, layers: 3, seed: 0 });
  const h = randomMatrix(4, 16, 0);
  const optimizer = tf.train.momentum(0.1, 0.9);
  const vars = head.trainableWeights.map((w) => w.read() as tf.Variable);
  const step = () =>
    optimizer.minimize(
      () => (head.apply(h, { training: true }) as tf.Tensor).square().mean() as tf.Scalar,
      false,
      vars,
    );
  step(); // creates the momentum slots
  const before = tf.memory().numTensors;
  step();
  step();
  assert.equal(tf.memory().numTensors, before);
  tf.dispose(h);
  optimizer.dispose();
  head.dispose();
});

Deno.test("projectionHead() rejects bad options with errors naming the value", () => {
  const ok = { inputDim: 4, seed: 0 };
  const cases: [Record<string, unknown>, typeof Error, RegExp][] = [
    [{ inputDim: 0 }, RangeError, /inputDim must be a positive integer, got 0/],
    [{ inputDim: undefined }, RangeError, /inputDim must be a positive integer, got undefined/],
    [{ hiddenDim: 2.5 }, RangeError, /hiddenDim must be a positive integer, got 2.5/],
    [{ outputDim: -1 }, RangeError, /outputDim must be a positive integer, got -1/],
    [{ layers: -1 }, RangeError, /layers must be an integer >= 0, got -1/],
    [{ layers: 1.5 }, RangeError, /layers must be an integer >= 0, got 1.5/],
    [{ batchNorm: "yes" }, TypeError, /batchNorm must be a boolean, got yes/],
    [{ seed: NaN }, RangeError, /seed must be a safe integer, got NaN/],
    [{ name: "" }, TypeError, /name must be a non-empty string/],
  ];
  for (const [override, type, message] of cases) {
    assert.throws(() => projectionHead({ ...ok, ...override } as never), (e: Error) => {
      assert.ok(e instanceof type, `${JSON.stringify(override)}: ${e}`);
      assert.match(e.message, /^projectionHead\(\): /);
      assert.match(e.message, message);
      return true;
    });
  }
});
