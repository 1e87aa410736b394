import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import {
  readModelWeights,
  readOptimizerState,
  writeModelWeights,
  writeOptimizerState,
} from "./tensor_records.ts";

tf.enableProdMode();

function model(seed: number): tf.LayersModel {
  const input = tf.input({ shape: [3] });
  const dense = tf.layers.dense({
    units: 4,
    kernelInitializer: tf.initializers.glorotUniform({ seed }),
  });
  const bn = tf.layers.batchNormalization();
  return tf.model({ inputs: input, outputs: bn.apply(dense.apply(input)) as tf.SymbolicTensor });
}

function train(m: tf.LayersModel, optimizer: tf.Optimizer, steps: number): number[] {
  const x = tf.tensor2d([[1, 2, 3], [0, -1, 2], [3, 1, 0]]);
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const loss = optimizer.minimize(
      () => tf.mean(tf.square(m.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar,
      true,
      m.trainableWeights.map((w) => w.read() as tf.Variable),
    )!;
    losses.push(loss.dataSync()[0]);
    loss.dispose();
  }
  x.dispose();
  return losses;
}

Deno.test("records restore a model and a momentum optimizer so training continues bit-identically", async () => {
  const a = model(1);
  const optA = tf.train.momentum(0.1, 0.9);
  train(a, optA, 3);
  const weights = readModelWeights(a);
  const state = await readOptimizerState(optA);
  assert.equal(weights.length, 6, "kernel, bias, gamma, beta, moving mean, moving variance");
  const uninterrupted = train(a, optA, 3);

  const before = tf.memory().numTensors;
  const b = model(2);
  const optB = tf.train.momentum(0.1, 0.9);
  writeModelWeights("test", "weights", b, weights);
  await writeOptimizerState("test", "optimizer", optB, state);
  assert.deepEqual(train(b, optB, 3), uninterrupted);
  a.dispose();
  b.dispose();
  optA.dispose();
  optB.dispose();
  assert.ok(tf.memory().numTensors <= before, "nothing leaked");
});

Deno.test("writeModelWeights() refuses records that do not match, leaving the model unchanged", () => {
  const m = model(1);
  const weights = readModelWeights(m);
  const wrong = weights.map((r, i) =>
    i === 5 ? { ...r, shape: [5], values: new Float32Array(5) } : r
  );
  const zeros = weights.map((r) => ({ ...r, values: new Float32Array(r.values.length) }));
  assert.throws(
    () => writeModelWeights("f", "state", m, wrong.map((r, i) => i === 0 ? zeros[0] : r)),
    {
      name: "RangeError",
      message: /^f\(\): state\[5\] must be a float32 record of shape \[4\]/,
    },
  );
  assert.deepEqual(readModelWeights(m), weights);
  assert.throws(() => writeModelWeights("f", "state", m, weights.slice(1)), { name: "RangeError" });
  m.dispose();
});
