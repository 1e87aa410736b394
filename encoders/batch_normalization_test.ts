import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { batchNormalization } from "./batch_normalization.ts";

tf.enableProdMode();

/** Outputs, input gradients and weights after two training calls, then an inference call. */
function trace(layer: tf.layers.Layer): Float32Array[] {
  return tf.tidy(() => {
    const out: tf.Tensor[] = [];
    for (let i = 0; i < 2; i++) {
      const x = tf.randomNormal([4, 3, 3, 6], i, 2, "float32", i + 1);
      const r = tf.randomNormal([4, 3, 3, 6], 0, 1, "float32", 50);
      const f = (x: tf.Tensor) =>
        tf.sum(tf.mul(layer.apply(x, { training: true }) as tf.Tensor, r));
      out.push(tf.grad(f)(x), ...layer.getWeights());
    }
    out.push(layer.apply(tf.ones([1, 3, 3, 6])) as tf.Tensor);
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
  const x = tf.randomNormal([2, 2, 2, 3], 0, 1, "float32", 3);
  assert.deepEqual(
    (loaded.predict(x) as tf.Tensor).dataSync(),
    (model.predict(x) as tf.Tensor).dataSync(),
  );
  model.dispose();
  loaded.dispose();
});
