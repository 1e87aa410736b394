import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { applyBatchNorm, applyRelu, BN_EPSILON, BN_MOMENTUM, checkModelName } from "./layers.ts";
import { assertAllClose, randomTensor, withReferenceBatchNormKernels } from "./testing.ts";

tf.enableProdMode();
await tf.setBackend("cpu");

/** A [N, 5] model: one batch norm named "bn" built by `build`. */
function model(build: (x: tf.SymbolicTensor) => tf.SymbolicTensor): tf.LayersModel {
  const input = tf.input({ shape: [5] });
  return tf.model({ inputs: input, outputs: build(input) });
}

/**
 * The stock layer with beta frozen at zero: what heads' last batch norm was before it was
 * built through the fused layer.
 */
function stockWithoutCenter(x: tf.SymbolicTensor): tf.SymbolicTensor {
  const layer = tf.layers.batchNormalization({
    name: "bn",
    axis: -1,
    momentum: BN_MOMENTUM,
    epsilon: BN_EPSILON,
  });
  const y = layer.apply(x) as tf.SymbolicTensor;
  layer.weights.find((w) => w.originalName === "bn/beta")!.trainable = false;
  return y;
}

/**
 * Two SGD steps on a loss of the training-mode output: the outputs, the input gradient, the
 * gradients of every trainable weight, and every weight after each step.
 */
function train(m: tf.LayersModel): Float32Array[] {
  const out: Float32Array[] = [];
  const optimizer = tf.train.sgd(0.3);
  const r = randomTensor([6, 5], 9, -1, 1);
  for (let step = 0; step < 2; step++) {
    tf.tidy(() => {
      const x = randomTensor([6, 5], step, -2, 4);
      const loss = (x: tf.Tensor) =>
        tf.sum(tf.mul(m.apply(x, { training: true }) as tf.Tensor, r)) as tf.Scalar;
      const vars = m.trainableWeights.map((w) => w.read() as tf.Variable);
      const { grads } = tf.variableGrads(() => loss(x), vars);
      const y = m.apply(x, { training: true }) as tf.Tensor;
      out.push(
        ...[y, tf.grad(loss)(x), ...vars.map((v) => grads[v.name])].map((t) =>
          Float32Array.from(t.dataSync())
        ),
      );
      optimizer.applyGradients(grads);
    });
    out.push(...m.getWeights().map((w) => Float32Array.from(w.dataSync())));
  }
  r.dispose();
  optimizer.dispose();
  return out;
}

Deno.test("applyBatchNorm({ center: false }) through the fused kernel trains as the stock layer with a frozen beta", async () => {
  const stock = model(stockWithoutCenter);
  const expected = train(stock);
  const ours = model((x) => applyBatchNorm(x, "bn", { center: false }));
  assert.deepEqual(ours.trainableWeights.map((w) => w.originalName), ["bn/gamma"]);
  const actual = await withReferenceBatchNormKernels(() => train(ours));
  // Per step: y, dx, dgamma, then gamma, beta, moving mean, moving variance.
  assert.equal(actual.length, 2 * 7);
  assertAllClose(actual, expected, 1e-4);
  const [gamma, beta, movingMean] = ours.getLayer("bn").getWeights().map((w) => w.dataSync());
  assert.deepEqual(Array.from(beta), [0, 0, 0, 0, 0]);
  assert.ok(gamma.some((g) => g !== 1), "gamma trained");
  assert.ok(movingMean.some((m) => m !== 0), "moving mean updated");
  stock.dispose();
  ours.dispose();
});

Deno.test("applyBatchNorm() uses the house constants and trains beta by default", () => {
  const m = model((x) => applyBatchNorm(x, "bn"));
  const config = m.getLayer("bn").getConfig();
  assert.equal(config.momentum, 0.9);
  assert.equal(config.epsilon, 1e-5);
  assert.deepEqual(m.trainableWeights.map((w) => w.originalName), ["bn/gamma", "bn/beta"]);
  m.dispose();
});

Deno.test("applyRelu() clips at zero and checkModelName() names the builder", () => {
  const m = model((x) => applyRelu(x, "relu"));
  const y = m.predict(tf.tensor2d([[-1, 0, 2, -3, 4]])) as tf.Tensor;
  assert.deepEqual(Array.from(y.dataSync()), [0, 0, 2, 0, 4]);
  assert.equal(m.layers[1].name, "relu");
  y.dispose();
  m.dispose();
  assert.throws(() => checkModelName("projectionHead", 3), {
    name: "TypeError",
    message: "projectionHead(): name must be a non-empty string, got 3",
  });
});
