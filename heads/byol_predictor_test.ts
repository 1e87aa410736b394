import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { byolPredictor } from "./byol_predictor.ts";
import { byolProjector } from "./byol_projector.ts";

tf.enableProdMode();

Deno.test("byolPredictor() has the projector's shape, its own name and defaults 4096 -> 256", () => {
  const predictor = byolPredictor({ inputDim: 256, seed: 0 });
  assert.equal(predictor.name, "byol_predictor");
  assert.deepEqual(predictor.layers.map((l) => l.name), [
    "input",
    "layer1_dense",
    "layer1_bn",
    "layer1_relu",
    "layer2_dense",
  ]);
  assert.deepEqual(predictor.getLayer("layer1_dense").getWeights()[0].shape, [256, 4096]);
  assert.deepEqual(predictor.outputs[0].shape, [null, 256]);
  predictor.dispose();
});

Deno.test("byolPredictor() and byolProjector() built with one seed draw different weights", () => {
  const options = { inputDim: 8, hiddenDim: 16, outputDim: 8, seed: 1 };
  const projector = byolProjector(options);
  const predictor = byolPredictor(options);
  const again = byolPredictor(options);
  const k = (m: tf.LayersModel) =>
    Array.from(m.getLayer("layer1_dense").getWeights()[0].dataSync());
  assert.notDeepEqual(k(predictor), k(projector));
  assert.deepEqual(k(again), k(predictor));
  assert.notEqual(predictor.name, projector.name);
  [projector, predictor, again].forEach((m) => m.dispose());
});

Deno.test("byolPredictor() rejects bad options in the house format, naming itself", () => {
  assert.throws(() => byolPredictor({ inputDim: 8, outputDim: 0, seed: 0 }), {
    name: "RangeError",
    message: "byolPredictor(): outputDim must be an integer >= 1, got 0",
  });
  assert.throws(() => byolPredictor({ inputDim: 8, seed: 0, name: "" }), {
    name: "TypeError",
    message: 'byolPredictor(): name must be a non-empty string, got ""',
  });
  assert.throws(() => byolPredictor({ inputDim: 8, seed: null as never }), {
    name: "TypeError",
    message: "byolPredictor(): seed must be a safe integer, got null",
  });
});
