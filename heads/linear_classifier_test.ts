import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { linearClassifier } from "./linear_classifier.ts";
import { dense } from "./_test_utils.ts";
import {
  maxRelativeError,
  randomizeWeights,
  randomTensor,
  toF64,
  weightsOf,
} from "../internal/testing.ts";

tf.enableProdMode();

Deno.test("linearClassifier() computes x W + b (float64 reference), the same in both modes", () => {
  const classifier = linearClassifier({ inputDim: 6, numClasses: 4, seed: 0 });
  assert.equal(randomizeWeights(classifier, 1), 2);
  const x = randomTensor([5, 6], 2, -1, 1);
  const [kernel, bias] = weightsOf(classifier, "dense");
  const expected = dense(toF64(x), kernel, bias);
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
  const [kernel, bias] = weightsOf(a, "dense").map((w) => w.data);
  const sd = Math.sqrt(kernel.reduce((s, v) => s + v * v, 0) / kernel.length);
  assert.ok(Math.abs(sd / 0.01 - 1) < 0.02, `sd ${sd}`);
  assert.ok(bias.every((v) => v === 0));
  assert.deepEqual(weightsOf(b, "dense")[0].data, kernel);
  assert.notDeepEqual(weightsOf(c, "dense")[0].data, kernel);
  [a, b, c].forEach((m) => m.dispose());
});

Deno.test("linearClassifier() rejects bad options in the house format", () => {
  const cases: [Record<string, unknown>, typeof Error, string][] = [
    [
      { inputDim: 4, numClasses: 0, seed: 0 },
      RangeError,
      "numClasses must be an integer >= 1, got 0",
    ],
    [
      { inputDim: -4, numClasses: 2, seed: 0 },
      RangeError,
      "inputDim must be an integer >= 1, got -4",
    ],
    [
      { inputDim: 4, numClasses: [2], seed: 0 },
      TypeError,
      "numClasses must be an integer >= 1, got [2]",
    ],
    [
      { inputDim: 4, numClasses: 2, seed: 2 ** 60 },
      RangeError,
      `seed must be a safe integer, got ${2 ** 60}`,
    ],
    [{ inputDim: 4, numClasses: 2, seed: 1n }, TypeError, "seed must be a safe integer, got 1n"],
  ];
  for (const [options, type, message] of cases) {
    assert.throws(() => linearClassifier(options as never), {
      name: type.name,
      message: `linearClassifier(): ${message}`,
    });
  }
});

Deno.test("linearClassifier() draws the same kernel for a seed as earlier releases", () => {
  const classifier = linearClassifier({ inputDim: 8, numClasses: 4, seed: -7 });
  // Values from the commit before layerSeed moved to @selfsup/internal (float32, exact).
  assert.deepEqual(
    Array.from(classifier.getLayer("dense").getWeights()[0].dataSync().slice(0, 3)),
    [
      0.004074289463460445,
      -0.016384292393922806,
      -0.0012237555347383022,
    ],
  );
  classifier.dispose();
});
