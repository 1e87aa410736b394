import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { headUpTo } from "./head_up_to.ts";
import { projectionHead } from "./projection_head.ts";
import { dense } from "./_test_utils.ts";
import {
  maxRelativeError,
  normalize,
  randomizeWeights,
  randomTensor,
  relu,
  toF64,
  weightsOf,
} from "../internal/testing.ts";

tf.enableProdMode();

Deno.test("headUpTo() counts linear layers: 0 is h, k is after layer k's BN and ReLU, 3 is z", () => {
  const head = projectionHead({ inputDim: 5, hiddenDim: 6, outputDim: 4, layers: 3, seed: 1 });
  assert.equal(randomizeWeights(head, 2), 3 + 4 + 4 + 3); // beta of layer 3 is frozen
  const h = randomTensor([3, 5], 3, -1, 1);

  const identity = headUpTo(head, 0);
  const h0 = identity.predict(h) as tf.Tensor;
  assert.deepEqual(h0.dataSync(), h.dataSync());
  assert.equal(identity.weights.length, 0);

  // Layer 1 in float64, with the head's moving statistics (inference).
  const [kernel] = weightsOf(head, "layer1_dense");
  const [gamma, beta, mean, variance] = weightsOf(head, "layer1_bn").map((w) => w.data);
  const expected = relu(
    normalize(dense(toF64(h), kernel), mean, variance, gamma, beta, 1e-5),
  );
  const first = headUpTo(head, 1);
  const h1 = first.predict(h) as tf.Tensor;
  assert.ok(maxRelativeError(h1, expected, 1e-3) < 1e-4);
  assert.equal(first.name, "projection_head_up_to_1");
  assert.deepEqual(first.layers.map((l) => l.name), [
    "input",
    "layer1_dense",
    "layer1_bn",
    "layer1_relu",
  ]);

  assert.deepEqual(headUpTo(head, 2).outputs[0].shape, [null, 6]);
  const z = head.predict(h) as tf.Tensor;
  const z3 = headUpTo(head, 3).predict(h) as tf.Tensor;
  assert.deepEqual(z3.dataSync(), z.dataSync());
  tf.dispose([h, h0, h1, z, z3]);
  head.dispose();
});

Deno.test("headUpTo() shares the head's weights and moving statistics", () => {
  const head = projectionHead({ inputDim: 4, outputDim: 2, layers: 3, seed: 0 });
  const trunk = headUpTo(head, 2);
  const shared = new Set(head.weights);
  assert.ok(trunk.weights.length > 0 && trunk.weights.every((w) => shared.has(w)));
  const h = randomTensor([6, 4], 1, -1, 1);
  tf.dispose(trunk.apply(h, { training: true }) as tf.Tensor);
  assert.notDeepEqual(weightsOf(head, "layer2_bn")[2].data, new Float64Array(4)); // moving mean moved
  assert.equal(randomizeWeights(head, 9), 3 + 4 + 4 + 3);
  const a = trunk.predict(h) as tf.Tensor;
  const b = headUpTo(head, 2).predict(h) as tf.Tensor;
  assert.deepEqual(a.dataSync(), b.dataSync());
  tf.dispose([h, a, b]);
  head.dispose();
});

Deno.test("headUpTo() rejects k outside [0, layers] and non-models in the house format", () => {
  const head = projectionHead({ inputDim: 4, outputDim: 2, layers: 2, seed: 0 });
  const allowed = 'headUpTo(): k must be an integer in [0, 2] for head "projection_head", got';
  for (const k of [-1, 3, 1.5, NaN]) {
    assert.throws(() => headUpTo(head, k), { name: "RangeError", message: `${allowed} ${k}` });
  }
  assert.throws(() => headUpTo(head, "1" as never), {
    name: "TypeError",
    message: `${allowed} "1"`,
  });
  assert.throws(() => headUpTo({} as never, 1), {
    name: "TypeError",
    message: "headUpTo(): head must be a single-input tf.LayersModel, got an object",
  });
  head.dispose();
});
