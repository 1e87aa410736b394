import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { byolPredictor } from "./byol_predictor.ts";
import { byolProjector } from "./byol_projector.ts";
import { projectionHead } from "./projection_head.ts";
import { dense } from "./_test_utils.ts";
import {
  assertAllClose,
  type F64,
  maxRelativeError,
  moments,
  normalize,
  randomizeWeights,
  randomTensor,
  relu,
  toF64,
  weightsOf,
  withReferenceBatchNormKernels,
} from "../internal/testing.ts";

/** The values of each weight of `model`'s layer `layer`, in tfjs order. */
const values = (model: tf.LayersModel, layer: string) => weightsOf(model, layer).map((w) => w.data);

tf.enableProdMode();

/**
 * Float64 forward of google-research/simclr tf2's nonlinear head: per layer Dense (bias only
 * without BN and not last) -> BN (no beta on the last layer) -> ReLU (not on the last layer).
 */
function reference(
  head: tf.LayersModel,
  h: F64,
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
    x = dense(x, kernel, bias);
    assert.equal(x.shape[1], last ? o.outputDim : o.hiddenDim);
    if (o.batchNorm) {
      const [gamma, beta, movingMean, movingVariance] = values(head, `layer${j}_bn`);
      const s = o.training ? moments(x) : { mean: movingMean, variance: movingVariance };
      stats[`layer${j}_bn`] = s;
      const zeros = new Float64Array(x.shape[1]);
      x = normalize(x, s.mean, s.variance, gamma, last ? zeros : beta, 1e-5);
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
  const h = randomTensor([3, 8], 1, -1, 1);
  const z = none.apply(h, { training: true }) as tf.Tensor;
  assert.deepEqual(z.dataSync(), h.dataSync());
  tf.dispose([h, z]);
  none.dispose();
});

Deno.test("projectionHead() matches a float64 reference in inference and training mode", () => {
  for (const [layers, batchNorm] of [[2, true], [3, true], [1, true], [3, false]] as const) {
    const o = { hiddenDim: 7, outputDim: 3, layers, batchNorm };
    const head = projectionHead({ inputDim: 5, ...o, seed: layers });
    assert.ok(randomizeWeights(head, 10 + layers) >= layers);
    const h = randomTensor([6, 5], layers, -1, 1);
    const z = head.predict(h) as tf.Tensor;
    const inference = reference(head, toF64(h), layers, { ...o, training: false });
    assert.ok(maxRelativeError(z, inference.z, 1e-3) < 1e-4, `layers ${layers}`);

    const training = reference(head, toF64(h), layers, { ...o, training: true });
    const before = Object.keys(training.stats).map((n) => values(head, n));
    const zTrain = head.apply(h, { training: true }) as tf.Tensor;
    assert.ok(maxRelativeError(zTrain, training.z, 1e-3) < 1e-4, `layers ${layers}`);
    Object.entries(training.stats).forEach(([name, { mean, variance }], i) => {
      const [, , movingMean, movingVariance] = values(head, name);
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
  const h = randomTensor([8, 4], 3, -1, 1);
  const optimizer = tf.train.sgd(0.5);
  const loss = () =>
    (head.apply(h, { training: true }) as tf.Tensor).sum(1).square().mean() as tf.Scalar;
  const gammaBefore = values(head, "layer2_bn")[0];
  // Without a variable list, minimize() trains every trainable variable in the engine.
  for (let i = 0; i < 3; i++) optimizer.minimize(loss);
  const [gamma, beta] = values(head, "layer2_bn");
  assert.notDeepEqual(gamma, gammaBefore);
  assert.deepEqual(beta, new Float64Array(3));
  assert.notDeepEqual(values(head, "layer1_bn")[1], new Float64Array(4));
  tf.dispose(h);
  optimizer.dispose();
  head.dispose();
});

Deno.test("projectionHead() kernels start from N(0, 0.01^2) and depend only on the seed", () => {
  const build = (seed: number) => projectionHead({ inputDim: 256, outputDim: 128, seed });
  const [a, b, c] = [build(3), build(3), build(4)];
  const kernel = values(a, "layer1_dense")[0];
  const mean = kernel.reduce((s, v) => s + v, 0) / kernel.length;
  const sd = Math.sqrt(kernel.reduce((s, v) => s + (v - mean) ** 2, 0) / kernel.length);
  assert.ok(Math.abs(mean) < 2e-4, `mean ${mean}`);
  assert.ok(Math.abs(sd / 0.01 - 1) < 0.02, `sd ${sd}`);
  assert.deepEqual(
    a.getWeights().map((w) => w.dataSync()),
    b.getWeights().map((w) => w.dataSync()),
  );
  assert.notDeepEqual(values(a, "layer1_dense")[0], values(c, "layer1_dense")[0]);
  assert.notDeepEqual(
    values(a, "layer1_dense")[0].slice(0, 128 * 128),
    values(a, "layer2_dense")[0],
  );
  [a, b, c].forEach((m) => m.dispose());
});

Deno.test("projectionHead() forward and backward leak no tensors", () => {
  const head = projectionHead({ inputDim: 16, outputDim: 8, layers: 3, seed: 0 });
  const h = randomTensor([4, 16], 0, -1, 1);
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

Deno.test("projectionHead() rejects bad options in the house format, TypeError for a type and RangeError for a range", () => {
  const ok = { inputDim: 4, seed: 0 };
  const cases: [Record<string, unknown>, typeof Error, string][] = [
    [{ inputDim: 0 }, RangeError, "inputDim must be an integer >= 1, got 0"],
    [{ inputDim: undefined }, TypeError, "inputDim must be an integer >= 1, got undefined"],
    [{ hiddenDim: 2.5 }, RangeError, "hiddenDim must be an integer >= 1, got 2.5"],
    [{ outputDim: -1 }, RangeError, "outputDim must be an integer >= 1, got -1"],
    [{ layers: -1 }, RangeError, "layers must be an integer >= 0, got -1"],
    [{ layers: 1.5 }, RangeError, "layers must be an integer >= 0, got 1.5"],
    [{ layers: "2" }, TypeError, 'layers must be an integer >= 0, got "2"'],
    [{ batchNorm: "yes" }, TypeError, 'batchNorm must be a boolean, got "yes"'],
    [{ seed: NaN }, RangeError, "seed must be a safe integer, got NaN"],
    [{ seed: "7" }, TypeError, 'seed must be a safe integer, got "7"'],
    [{ name: "" }, TypeError, 'name must be a non-empty string, got ""'],
  ];
  for (const [override, type, message] of cases) {
    assert.throws(() => projectionHead({ ...ok, ...override } as never), {
      name: type.name,
      message: `projectionHead(): ${message}`,
    });
  }
  assert.throws(() => projectionHead(7 as never), {
    name: "TypeError",
    message: "projectionHead(): options must be an object, got 7",
  });
});

Deno.test("projectionHead() trains through the fused batch-norm kernel as through the op chain, last beta frozen", async () => {
  // Two SGD steps of a 3-layer head: outputs, input gradient, then every weight after each.
  const run = () => {
    const head = projectionHead({ inputDim: 6, hiddenDim: 5, outputDim: 4, layers: 3, seed: 8 });
    const optimizer = tf.train.sgd(0.2);
    const out: Float32Array[] = [];
    for (let step = 0; step < 2; step++) {
      tf.tidy(() => {
        const h = randomTensor([7, 6], step, -2, 2);
        const loss = (h: tf.Tensor) =>
          (head.apply(h, { training: true }) as tf.Tensor).square().sum() as tf.Scalar;
        const z = head.apply(h, { training: true }) as tf.Tensor;
        out.push(Float32Array.from(z.dataSync()), Float32Array.from(tf.grad(loss)(h).dataSync()));
        optimizer.minimize(
          () => loss(h),
          false,
          head.trainableWeights.map((w) => w.read() as tf.Variable),
        );
      });
      out.push(...head.getWeights().map((w) => Float32Array.from(w.dataSync())));
    }
    const beta = values(head, "layer3_bn")[1];
    optimizer.dispose();
    head.dispose();
    return { out, beta };
  };
  const chain = run();
  const fused = await withReferenceBatchNormKernels(run);
  assert.deepEqual(fused.beta, new Float64Array(4));
  // Per step: z, dh, then 3 kernels + 3 x 4 batch-norm weights.
  assert.equal(fused.out.length, 2 * (2 + 3 + 12));
  assertAllClose(fused.out, chain.out, 1e-4);
});

Deno.test("projectionHead(), byolProjector() and byolPredictor() draw the same weights for a seed as earlier releases", () => {
  const first = (m: tf.LayersModel, layer: string) =>
    Array.from(m.getLayer(layer).getWeights()[0].dataSync().slice(0, 3));
  const head = projectionHead({ inputDim: 8, outputDim: 4, seed: 5 });
  const projector = byolProjector({ inputDim: 8, hiddenDim: 6, outputDim: 4, seed: 5 });
  const predictor = byolPredictor({ inputDim: 8, hiddenDim: 6, outputDim: 4, seed: 5 });
  // Values from the commit before layerSeed moved to @selfsup/internal (float32, exact).
  assert.deepEqual(first(head, "layer2_dense"), [
    -0.0051928795874118805,
    -0.010690974071621895,
    -0.024518920108675957,
  ]);
  assert.deepEqual(first(projector, "layer1_dense"), [
    0.5045477151870728,
    -0.5865231156349182,
    -0.1501390039920807,
  ]);
  assert.deepEqual(first(predictor, "layer1_dense"), [
    0.37125396728515625,
    0.4401417672634125,
    -0.374984472990036,
  ]);
  [head, projector, predictor].forEach((m) => m.dispose());
});
