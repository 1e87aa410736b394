import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { headUpTo, projectionHead } from "@selfsup/heads";
import { classifierModel } from "./classifier_model.ts";
import { convEncoder, head3, images, sameBits, snapshot } from "./_testing.ts";

tf.enableProdMode();

// Gives every weight of the models a distinct non-trivial value, so "the same values" cannot
// pass by accident (fresh heads start with zeros and ones in their batch norms).
function randomize(seed: number, ...models: tf.LayersModel[]): void {
  let i = 0;
  for (const model of models) {
    for (const w of model.weights) {
      const values = tf.randomUniform(w.shape as number[], 0.5, 1.5, "float32", seed + i++);
      w.write(values);
      values.dispose();
    }
  }
}

Deno.test("classifierModel() starts from exactly the encoder's and head's weights", () => {
  const encoder = convEncoder(1);
  const head = head3(4, 2);
  randomize(10, encoder, head);
  const before = snapshot(encoder, head);
  const model = classifierModel({ encoder, head, numClasses: 5, seed: 3 });
  assert.ok(sameBits(snapshot(encoder, head), before), "building changed no weight");

  // The model holds the very variables of the encoder and of the head's first layer.
  const shared = new Set(
    [
      ...encoder.weights,
      ...head.getLayer("layer1_dense").weights,
      ...head.getLayer("layer1_bn").weights,
    ].map((w) => w.read()),
  );
  const inModel = new Set(model.weights.map((w) => w.read()));
  assert.equal(shared.size, encoder.weights.length + 5);
  for (const v of shared) assert.ok(inModel.has(v), `${(v as tf.Variable).name} is shared`);
  assert.equal(model.weights.length, shared.size + 2); // + the linear kernel and bias

  // Same numbers as encoder -> headUpTo(head, 1) -> the linear layer, run separately.
  const x = images(3);
  const logits = model.predict(x) as tf.Tensor;
  const linear = model.layers[model.layers.length - 1] as tf.LayersModel;
  const trunk = headUpTo(head, 1);
  const expected = tf.tidy(() =>
    linear.predict(trunk.predict(encoder.predict(x) as tf.Tensor) as tf.Tensor) as tf.Tensor
  );
  assert.deepEqual(logits.dataSync(), expected.dataSync());
  tf.dispose([x, logits, expected]);
  model.dispose();
  encoder.dispose();
  head.dispose();
});

Deno.test("classifierModel() keeps k = 0..layers of the head, sharing their weights", () => {
  const encoder = convEncoder(1); // D = 4
  const head = head3(4, 2); // 4 -> 6 -> 6 -> 3
  const widths = [4, 6, 6, 3];
  for (let k = 0; k <= 3; k++) {
    const model = classifierModel({ encoder, head, k, numClasses: 7, seed: 3 });
    assert.deepEqual(model.outputs[0].shape, [null, 7]);
    const linear = model.layers[model.layers.length - 1] as tf.LayersModel;
    assert.deepEqual(linear.getLayer("dense").getWeights()[0].shape, [widths[k], 7]);
    const inModel = new Set(model.weights.map((w) => w.read()));
    for (let j = 1; j <= 3; j++) {
      const layerWeights = head.layers.filter((l) => l.name.startsWith(`layer${j}_`))
        .flatMap((l) => l.weights);
      assert.ok(layerWeights.length > 0);
      for (const w of layerWeights) {
        assert.equal(inModel.has(w.read()), j <= k, `layer ${j} kept for k = ${k}`);
      }
    }
    // Training the model trains the head's shared layers (here: a moving mean moves).
    if (k > 0) {
      const moving = head.getLayer(`layer${k}_bn`).weights[2];
      const before = moving.read().dataSync().slice();
      const x = images(4, 8, k);
      tf.dispose(model.apply(x, { training: true }) as tf.Tensor);
      assert.notDeepEqual(moving.read().dataSync(), before);
      x.dispose();
    }
    model.dispose();
  }
  encoder.dispose();
  head.dispose();
});

Deno.test("classifierModel() without a head is encoder -> linear layer", () => {
  const encoder = convEncoder(1);
  const model = classifierModel({ encoder, numClasses: 3, seed: 3 });
  assert.deepEqual(model.layers.map((l) => l.name).slice(1), [encoder.name, "classifier_linear"]);
  assert.equal(model.weights.length, encoder.weights.length + 2);
  model.dispose();
  encoder.dispose();
});

Deno.test("disposing the classifier frees only its linear layer", () => {
  const start = tf.memory().numTensors;
  const encoder = convEncoder(1);
  const head = head3(4, 2);
  const withModels = tf.memory().numTensors;
  const model = classifierModel({ encoder, head, k: 2, numClasses: 5, seed: 3 });
  assert.equal(tf.memory().numTensors, withModels + 2);
  model.dispose();
  assert.equal(tf.memory().numTensors, withModels);
  const x = images(2);
  const h = encoder.predict(x) as tf.Tensor; // still usable
  const z = head.predict(h) as tf.Tensor;
  assert.deepEqual(z.shape, [2, 3]);
  tf.dispose([x, h, z]);
  encoder.dispose();
  head.dispose();
  assert.equal(tf.memory().numTensors, start);
});

Deno.test("classifierModel() names the argument it refuses", () => {
  const encoder = convEncoder(1); // D = 4
  const head = head3(4, 2);
  const wide = projectionHead({ inputDim: 8, layers: 2, seed: 1 });
  const cases: [Record<string, unknown>, string, string][] = [
    [{ head, k: 4 }, "RangeError", "classifierModel(): k must be an integer in [0, 3], got 4"],
    [{ head, k: -1 }, "RangeError", "classifierModel(): k must be an integer in [0, 3], got -1"],
    [{ head, k: 1.5 }, "RangeError", "classifierModel(): k must be an integer in [0, 3], got 1.5"],
    [{ k: 1 }, "TypeError", "classifierModel(): k must be omitted when there is no head, got 1"],
    [
      { head: wide },
      "RangeError",
      "classifierModel(): head must be a head taking the encoder's output width [N, 4], " +
      "got input [null, 8]",
    ],
    [
      { numClasses: 1 },
      "RangeError",
      "classifierModel(): numClasses must be an integer >= 2, got 1",
    ],
    [{ seed: 0.5 }, "RangeError", "classifierModel(): seed must be a safe integer, got 0.5"],
    [
      { encoder: {} },
      "TypeError",
      "classifierModel(): encoder must be a tf.LayersModel, got an object",
    ],
    [
      { classes: 3 },
      "TypeError",
      "classifierModel(): options must have only the keys encoder, head, k, numClasses, seed, " +
      'name, got key "classes"',
    ],
  ];
  const before = tf.memory().numTensors;
  for (const [change, name, message] of cases) {
    assert.throws(
      () => classifierModel({ encoder, numClasses: 3, seed: 1, ...change } as never),
      { name, message },
    );
  }
  assert.equal(tf.memory().numTensors, before, "a refused call builds nothing");
  wide.dispose();
  head.dispose();
  encoder.dispose();
});
