import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { resNet18 } from "@selfsup/encoders";
import { byolProjector } from "@selfsup/heads";
import { batchNormalization } from "@selfsup/internal";
import { lars } from "@selfsup/optim";
import { copyModel } from "./mod.ts";
import { sameBits, snapshot } from "../internal/testing.ts";

tf.enableProdMode();

// Runs both models on the same input in training mode (batch statistics, moving averages
// updated) and returns both outputs' values.
function outputs(a: tf.LayersModel, b: tf.LayersModel, x: tf.Tensor): [Float32Array, Float32Array] {
  return tf.tidy(() => {
    const [ya, yb] = [a, b].map((m) => m.apply(x, { training: true }) as tf.Tensor);
    return [ya.dataSync() as Float32Array, yb.dataSync() as Float32Array];
  });
}

Deno.test("copyModel() copies a ResNet bit for bit into new variables, fused batch norm kept", () => {
  const encoder = resNet18({ inputShape: [8, 8, 1], widthMultiplier: 0.125, seed: 3 });
  // Moving statistics away from their initial values, so copying them is tested.
  const warm = tf.randomUniform([4, 8, 8, 1], 0, 1, "float32", 1);
  tf.tidy(() => encoder.apply(warm, { training: true }) as tf.Tensor);
  const before = tf.memory().numTensors;
  const copy = copyModel(encoder);
  assert.equal(tf.memory().numTensors, before + encoder.weights.length);

  assert.ok(sameBits(snapshot(copy), snapshot(encoder)));
  const ids = new Set(encoder.weights.map((w) => w.read().id));
  assert.ok(copy.weights.every((w) => !ids.has(w.read().id)));
  assert.deepEqual(
    copy.weights.map((w) => w.originalName),
    encoder.weights.map((w) => w.originalName),
  );
  // Every layer keeps its class: the encoders' batch norm is a subclass that saves under the
  // stock name, and the copy must keep the subclass (its fused training path).
  const fused = batchNormalization().constructor;
  let bnLayers = 0;
  encoder.layers.forEach((layer, i) => {
    assert.equal(copy.layers[i].constructor, layer.constructor, layer.name);
    if (layer.constructor === fused) bnLayers++;
  });
  assert.equal(bnLayers, 20); // stem + 16 in the blocks + 3 shortcuts

  const x = tf.randomUniform([3, 8, 8, 1], 0, 1, "float32", 2);
  const [a, b] = outputs(encoder, copy, x);
  assert.deepEqual(b, a);
  // Training-mode calls updated both moving averages the same way.
  assert.ok(sameBits(snapshot(copy), snapshot(encoder)));

  // Independent: changing the copy leaves the original alone.
  const original = snapshot(encoder);
  tf.tidy(() => copy.weights.forEach((w) => w.write(tf.zerosLike(w.read()))));
  assert.ok(sameBits(snapshot(encoder), original));

  x.dispose();
  copy.dispose();
  assert.equal(tf.memory().numTensors, before);
  warm.dispose();
  encoder.dispose();
});

Deno.test("copyModel() keeps trainable flags of models, layers and single variables", () => {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [3], units: 4, kernelInitializer: "glorotNormal" }),
      tf.layers.batchNormalization(),
      tf.layers.dense({ units: 2, kernelInitializer: "glorotNormal" }),
    ],
  });
  model.layers[1].weights[1].trainable = false; // a frozen beta
  model.layers[2].trainable = false; // a frozen layer
  const flags = (m: tf.LayersModel) => m.weights.map((w) => `${w.originalName}:${w.trainable}`);
  const copy = copyModel(model);
  assert.deepEqual(flags(copy), flags(model));
  assert.equal(copy.trainableWeights.length, 3);
  assert.ok(sameBits(snapshot(copy), snapshot(model)));

  model.trainable = false;
  const frozen = copyModel(model);
  assert.equal(frozen.trainable, false);
  assert.equal(frozen.trainableWeights.length, 0);
  assert.deepEqual(flags(frozen), flags(model));
  [model, copy, frozen].forEach((m) => m.dispose());
});

Deno.test("copyModel() copies nested models and the copy computes the same function", () => {
  const inner = tf.sequential({
    layers: [tf.layers.dense({ inputShape: [4], units: 3, kernelInitializer: "glorotNormal" })],
  });
  const input = tf.input({ shape: [4] });
  const y = tf.layers.dense({ units: 2, kernelInitializer: "glorotNormal" })
    .apply(inner.apply(input)) as tf.SymbolicTensor;
  const outer = tf.model({ inputs: input, outputs: y });
  const copy = copyModel(outer);
  assert.ok(sameBits(snapshot(copy), snapshot(outer)));
  const x = tf.randomNormal([5, 4], 0, 1, "float32", 4);
  const [a, b] = outputs(outer, copy, x);
  assert.deepEqual(b, a);
  x.dispose();
  [outer, copy].forEach((m) => m.dispose()); // disposing outer disposes inner
});

Deno.test("copyModel() names variables so LARS excludes exactly what it excludes in the original", () => {
  const projector = byolProjector({ inputDim: 4, hiddenDim: 8, outputDim: 2, seed: 1 });
  const encoder = resNet18({ inputShape: [8, 8, 1], widthMultiplier: 0.125, seed: 3 });
  const optimizer = lars({ learningRate: 0.1 });
  for (const model of [projector, encoder]) {
    const copy = copyModel(model);
    const excluded = (m: tf.LayersModel) => m.weights.map((w) => optimizer.isExcluded(w.name));
    assert.deepEqual(excluded(copy), excluded(model));
    assert.ok(excluded(model).some(Boolean) && !excluded(model).every(Boolean));
    // Unique names: nothing registered twice.
    const names = [...model.weights, ...copy.weights].map((w) => w.name);
    assert.equal(new Set(names).size, names.length);
    copy.dispose();
  }
  [projector, encoder, optimizer].forEach((d) => d.dispose());
});

Deno.test("copyModel() rejects what is not a tf.LayersModel", () => {
  for (const bad of [undefined, null, {}, tf.layers.dense({ units: 1 })]) {
    assert.throws(() => copyModel(bad as unknown as tf.LayersModel), {
      name: "TypeError",
      message: /^copyModel\(\): model must be a tf\.LayersModel, got /,
    });
  }
});

Deno.test("copyModel() says so when a layer cannot be rebuilt from its config", () => {
  class Doubler extends tf.layers.Layer {
    static className = "UnregisteredDoubler";
    override call(x: tf.Tensor | tf.Tensor[]): tf.Tensor {
      return tf.mul(Array.isArray(x) ? x[0] : x, 2);
    }
  }
  const model = tf.sequential({
    layers: [tf.layers.dense({ inputShape: [2], units: 2 }), new Doubler({})],
  });
  const before = tf.memory().numTensors;
  assert.throws(() => copyModel(model), {
    name: "TypeError",
    message:
      /^copyModel\(\): model must be rebuildable from its config, got an error: .*UnregisteredDoubler/,
  });
  assert.equal(tf.memory().numTensors, before);
  model.dispose();
});
