import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { linearClassifier } from "./linear_classifier.ts";
import {
  dense,
  maxRelativeError,
  randomizeWeights,
  randomMatrix,
  toMatrix,
  weightsOf,
} from "./_test_utils.ts";

tf.enableProdMode();

Deno.test("linearClassifier() computes x W + b (float64 reference), the same in both modes", () => {
  const classifier = linearClassifier({ inputDim: 6, numClasses: 4, seed: 0 });
  randomizeWeights(classifier, 1);
  const x = randomMatrix(5, 6, 2);
  const [kernel, bias] = weightsOf(classifier, "dense");
  const expected = dense(toMatrix(x), kernel, 4, bias);
  const logits = classifier.predict(x) as tf.Tensor;
  const training = classifier.apply(x, { training: true }) as tf.Tensor;
  assert.ok(maxRelativeError(logits, expected, 1e-3) < 1e-5);
  assert.deepEqual(training.dataSync(), logits.dataSync());
  assert.deepEqual(classifier.layers.map((l) => l.name), ["input", "dense"]);
  assert.equal(classifier.name, "linear_classifier");
  tf.dispose([x, logits, training]);
  classifier.dispose();
});

Deno.test("linearClassifier() starts from N(0, 0.01^2) kernels and zero biases, fixed by the seed", () => {
  const build = (seed: number) => linearClassifier({ inputDim: 512, numClasses: 100, seed });
  const [a, b, c] = [build(7), build(7), build(8)];
  const [kernel, bias] = weightsOf(a, "dense");
  const sd = Math.sqrt(kernel.reduce((s, v) => s + v * v, 0) / kernel.length);
  assert.ok(Math.abs(sd / 0.01 - 1) < 0.02, `sd ${sd}`);
  assert.ok(bias.every((v) => v === 0));
  assert.deepEqual(weightsOf(b, "dense")[0], kernel);
  assert.notDeepEqual(weightsOf(c, "dense")[0], kernel);
  [a, b, c].forEach((m) => m.dispose());
});

Deno.test("linearClassifier() rejects bad options with errors naming the value", () => {
  assert.throws(
    () => linearClassifier({ inputDim: 4, numClasses: 0, seed: 0 }),
    /^RangeError: linearClassifier\(\): numClasses must be a positive integer, got 0$/,
  );
  assert.throws(
    () => linearClassifier({ inputDim: -4, numClasses: 2, seed: 0 }),
    /inputDim must be a positive integer, got -4/,
  );
  assert.throws(() => linearClassifier({ inputDim: 4, numClasses: 2, seed: 2 ** 60 }), RangeError);
});
