import * as tf from "@tensorflow/tfjs";
import { fromArrays } from "@selfsup/data";
import assert from "node:assert/strict";
import { extractFeatures } from "./extract_features.ts";

tf.enableProdMode();

// 5 images of 2x2x1 with pixel values i * 10 + p.
const ds = fromArrays(Uint8Array.from({ length: 20 }, (_, i) => Math.floor(i / 4) * 10 + (i % 4)), [
  5,
  2,
  2,
  1,
]);

Deno.test("extractFeatures() runs a LayersModel in inference mode (batch-norm moving statistics)", async () => {
  const input = tf.input({ shape: [2, 2, 1] });
  const flat = tf.layers.flatten().apply(input) as tf.SymbolicTensor;
  const bn = tf.layers.batchNormalization({ epsilon: 0 });
  const model = tf.model({ inputs: input, outputs: bn.apply(flat) as tf.SymbolicTensor });
  // gamma, beta, moving mean, moving variance
  const set = [[2, 2, 2, 2], [1, 1, 1, 1], [0.1, 0.1, 0.1, 0.1], [4, 4, 4, 4]];
  bn.setWeights(set.map((w) => tf.tensor1d(w)));
  const features = await extractFeatures(model, ds, { batchSize: 2 });
  assert.deepEqual(features.shape, [5, 4]);
  // Inference: 2 * (x - 0.1) / sqrt(4) + 1 with x = pixel / 255 (batch statistics would differ).
  const got = features.arraySync();
  for (let i = 0; i < 5; i++) {
    for (let p = 0; p < 4; p++) {
      const x = (i * 10 + p) / 255;
      assert.ok(Math.abs(got[i][p] - ((2 * (x - 0.1)) / 2 + 1)) < 1e-6);
    }
  }
  features.dispose();
  model.dispose();
});

Deno.test("extractFeatures() gives the same features for every batch size and input form", async () => {
  const encoder = (x: tf.Tensor4D) =>
    tf.mul(x.sum([1, 2]), tf.tensor1d([1, -1, 2]).reshape([1, 3]));
  const whole = await extractFeatures(encoder, ds, { batchSize: 5 });
  assert.deepEqual(whole.shape, [5, 3]);
  const expected = Array.from({ length: 5 }, (_, i) => {
    const sum = [0, 1, 2, 3].reduce((s, p) => s + (i * 10 + p) / 255, 0);
    return [sum, -sum, 2 * sum];
  });
  whole.arraySync().forEach((row, i) =>
    row.forEach((v, j) => assert.ok(Math.abs(v - expected[i][j]) < 1e-5))
  );
  for (const batchSize of [1, 2, 3, 8]) {
    const features = await extractFeatures(encoder, ds, { batchSize });
    assert.deepEqual(features.arraySync(), whole.arraySync());
    features.dispose();
  }
  const images = tf.tensor4d(Float32Array.from(ds.images, (v) => v / 255), [5, 2, 2, 1]);
  const fromTensor = await extractFeatures(encoder, images, { batchSize: 2 });
  assert.deepEqual(fromTensor.arraySync(), whole.arraySync());
  tf.dispose([whole, images, fromTensor]);
});

Deno.test("extractFeatures() leaks no tensor and rejects a bad batch size", async () => {
  const before = tf.memory().numTensors;
  const features = await extractFeatures((x) => tf.relu(x).mul(2), ds, { batchSize: 2 });
  assert.deepEqual(features.shape, [5, 4]);
  features.dispose();
  assert.equal(tf.memory().numTensors, before);
  await assert.rejects(extractFeatures((x) => x, ds, { batchSize: 0 }), {
    name: "RangeError",
    message: "extractFeatures(): batchSize must be an integer >= 1, got 0",
  });
  await assert.rejects(extractFeatures("model" as never, ds), {
    name: "TypeError",
    message: 'extractFeatures(): encoder must be a tf.LayersModel or a function, got "model"',
  });
  const flat = tf.zeros([5, 4]);
  await assert.rejects(extractFeatures((x) => x, flat as never), {
    name: "TypeError",
    message: "extractFeatures(): images must be a rank-4 tensor [N, H, W, C], got a float32 " +
      "tensor of shape [5,4]",
  });
  flat.dispose();
});
