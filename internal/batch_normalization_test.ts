import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { batchNormalization } from "./batch_normalization.ts";
import { assertAllClose, randomTensor, withReferenceBatchNormKernels } from "./testing.ts";

tf.enableProdMode();
await tf.setBackend("cpu");

/**
 * Outputs, input, gamma and beta gradients and weights after two training calls, then an
 * inference call, as flat arrays.
 */
function trace(layer: tf.layers.Layer, shape = [4, 3, 3, 6]): Float32Array[] {
  return tf.tidy(() => {
    const out: tf.Tensor[] = [];
    for (let i = 0; i < 2; i++) {
      const x = randomTensor(shape, i + 1, i - 3, i + 3);
      const r = randomTensor(shape, 50, -1, 1);
      const f = (x: tf.Tensor) =>
        tf.sum(tf.mul(layer.apply(x, { training: true }) as tf.Tensor, r));
      const y = layer.apply(x, { training: true }) as tf.Tensor;
      const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
      const { grads } = tf.variableGrads(() => f(x) as tf.Scalar, vars);
      out.push(y, tf.grad(f)(x), ...vars.map((v) => grads[v.name]), ...layer.getWeights());
    }
    out.push(layer.apply(tf.ones([1, ...shape.slice(1)])) as tf.Tensor);
    return out.map((t) => Float32Array.from(t.dataSync()));
  });
}

Deno.test("batchNormalization() is tf.layers.batchNormalization where no fused kernel exists", () => {
  const args = { momentum: 0.9, epsilon: 1e-5 };
  const ours = batchNormalization(args);
  const stock = tf.layers.batchNormalization(args);
  assert.deepEqual(trace(ours), trace(stock));
  ours.dispose();
  stock.dispose();
});

Deno.test("batchNormalization() with a fused kernel matches the stock layer: outputs, gradients, moving statistics", async () => {
  for (const shape of [[4, 3, 3, 6], [5, 7]]) {
    const args = { momentum: 0.8, epsilon: 1e-3 };
    const stock = tf.layers.batchNormalization(args);
    const expected = trace(stock, shape);
    const ours = batchNormalization(args);
    const actual = await withReferenceBatchNormKernels(() => trace(ours, shape));
    // y, dx, dgamma, dbeta, gamma, beta, moving mean, moving variance; twice; then inference.
    assert.equal(actual.length, 2 * 8 + 1);
    assertAllClose(actual, expected, 1e-4);
    stock.dispose();
    ours.dispose();
  }
});

Deno.test("batchNormalization() serialises as BatchNormalization and loads as the stock layer", async () => {
  const input = tf.input({ shape: [2, 2, 3] });
  const output = batchNormalization({ name: "bn" }).apply(input) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: output });
  model.getLayer("bn").setWeights([
    tf.tensor1d([1, 2, 3]),
    tf.tensor1d([0, 1, 0]),
    tf.tensor1d([0.5, 0, -1]),
    tf.tensor1d([1, 4, 9]),
  ]);
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler((artifacts) => {
    saved = artifacts;
    return Promise.resolve({
      modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" },
    });
  }));
  const topology = JSON.stringify(saved!.modelTopology);
  assert.match(topology, /"class_name":"BatchNormalization"/);
  const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
  assert.equal(loaded.getLayer("bn").getClassName(), "BatchNormalization");
  const x = randomTensor([2, 2, 2, 3], 3, -1, 1);
  assert.deepEqual(
    (loaded.predict(x) as tf.Tensor).dataSync(),
    (model.predict(x) as tf.Tensor).dataSync(),
  );
  model.dispose();
  loaded.dispose();
});
