import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { crossEntropy } from "./cross_entropy.ts";
import {
  assertClose,
  assertMatricesClose,
  assertRejections,
  finiteDifferenceGradients,
  type Matrix,
  maxAbs,
  randomLabels,
  randomMatrix,
  roundToFloat32,
} from "./_test_utils.ts";

tf.enableProdMode();

// An independent float64 cross-entropy: mean_i of logsumexp(logits_i) - logits_i[label_i].
function crossEntropyReference(logits: Matrix, labels: number[]): number {
  let total = 0;
  logits.forEach((row, i) => {
    const max = Math.max(...row);
    const logSumExp = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
    total += logSumExp - row[labels[i]];
  });
  return total / logits.length;
}

// The loss for labels given as an array, as the Int32Array of @selfsup/data and as an int32
// tensor.
function allLabelForms(logits: Matrix, labels: number[]): [number, number, number] {
  return tf.tidy(() => {
    const x = tf.tensor2d(logits);
    const fromArray = crossEntropy(x, labels).dataSync()[0];
    const fromInt32Array = crossEntropy(x, Int32Array.from(labels)).dataSync()[0];
    const fromTensor = crossEntropy(x, tf.tensor1d(labels, "int32")).dataSync()[0];
    return [fromArray, fromInt32Array, fromTensor];
  });
}

Deno.test("crossEntropy() matches a float64 reference for labels in all three forms", () => {
  const cases = [
    { n: 1, k: 2, scale: 1 },
    { n: 3, k: 2, scale: 1 },
    { n: 16, k: 10, scale: 4 },
    { n: 8, k: 1000, scale: 2 },
    { n: 5, k: 6, scale: 500 },
  ];
  cases.forEach(({ n, k, scale }, i) => {
    const logits = roundToFloat32(randomMatrix(1000 + i, n, k, scale));
    const labels = randomLabels(1050 + i, n, k);
    const expected = crossEntropyReference(logits, labels);
    const [fromArray, fromInt32Array, fromTensor] = allLabelForms(logits, labels);
    assertClose(fromArray, expected, 1e-6 * (1 + expected), `N=${n} K=${k} array:`);
    assert.equal(fromInt32Array, fromArray, `N=${n} K=${k}: Int32Array and array labels differ`);
    assert.equal(fromTensor, fromArray, `N=${n} K=${k}: tensor and array labels differ`);
  });
});

Deno.test("crossEntropy() of uniform logits is log(K)", () => {
  const [fromArray] = allLabelForms([[3, 3, 3, 3], [0, 0, 0, 0]], [0, 3]);
  assertClose(fromArray, Math.log(4), 1e-6);
});

Deno.test("crossEntropy() gradient matches finite differences and (softmax - onehot) / N", () => {
  for (const [n, k, seed] of [[1, 2, 1100], [3, 4, 1110], [5, 3, 1120]]) {
    const logits = roundToFloat32(randomMatrix(seed, n, k, 2));
    const labels = randomLabels(seed + 1, n, k);
    const [numerical] = finiteDifferenceGradients(
      (x) => crossEntropyReference(x, labels),
      [logits],
    );
    const analytic = logits.map((row, i) => {
      const max = Math.max(...row);
      const e = row.map((v) => Math.exp(v - max));
      const total = e.reduce((s, v) => s + v, 0);
      return e.map((v, j) => (v / total - (j === labels[i] ? 1 : 0)) / n);
    });
    const actual = tf.tidy(() => {
      const x = tf.tensor2d(logits);
      return tf.grad((y: tf.Tensor) => crossEntropy(y, labels))(x).arraySync() as Matrix;
    });
    const tolerance = 1e-5 * maxAbs(analytic);
    assertMatricesClose(numerical, analytic, tolerance, `N=${n} K=${k} reference`);
    assertMatricesClose(actual, analytic, tolerance, `N=${n} K=${k} dlogits`);
  }
});

Deno.test("crossEntropy() leaks no tensors in a value-and-gradients step", () => {
  const logits = tf.variable(tf.randomNormal([8, 10], 0, 1, "float32", 11));
  const labelTensor = tf.tensor1d(randomLabels(1200, 8, 10), "int32");
  const labelArray = randomLabels(1201, 8, 10);
  for (const labels of [labelTensor, labelArray, Int32Array.from(labelArray)]) {
    for (const checkValues of [true, false]) {
      const before = tf.memory().numTensors;
      const { value, grads } = tf.variableGrads(() =>
        crossEntropy(logits, labels, { checkValues })
      );
      tf.dispose([value, ...Object.values(grads)]);
      assert.equal(tf.memory().numTensors, before, `checkValues: ${checkValues}`);
    }
  }
  const optimizer = tf.train.sgd(0.1);
  optimizer.minimize(() => crossEntropy(logits, labelTensor));
  const afterFirstStep = tf.memory().numTensors;
  for (let step = 0; step < 5; step++) optimizer.minimize(() => crossEntropy(logits, labelTensor));
  assert.equal(tf.memory().numTensors, afterFirstStep);
  tf.dispose([logits, labelTensor]);
  optimizer.dispose();
});

Deno.test("crossEntropy() rejects bad arguments with a house-format error naming them", () => {
  const logits = tf.ones([2, 3]);
  const checked = assertRejections([
    [
      () => crossEntropy([[1, 2]] as never, [0]),
      TypeError,
      "crossEntropy(): logits must be a rank-2 tensor [N, K], got [[1, 2]]",
    ],
    [
      () => crossEntropy(tf.ones([3]), [0]),
      TypeError,
      "crossEntropy(): logits must be a rank-2 tensor [N, K], got a float32 tensor of shape [3]",
    ],
    [
      () => crossEntropy(tf.ones([2, 1]), [0, 0]),
      RangeError,
      "crossEntropy(): logits must be a tensor [N, K] with at least 1 row and 2 columns, " +
      "got a float32 tensor of shape [2,1]",
    ],
    [
      () => crossEntropy(logits, "01" as never),
      TypeError,
      "crossEntropy(): labels must be an int32 tensor [N], an Int32Array or an array of " +
      'integers, got "01"',
    ],
    [
      () => crossEntropy(logits, new Float32Array([0, 1]) as never),
      TypeError,
      "crossEntropy(): labels must be an int32 tensor [N], an Int32Array or an array of " +
      "integers, got a Float32Array",
    ],
    [
      () => crossEntropy(logits, [0]),
      RangeError,
      "crossEntropy(): labels must hold 2 entries, one per row of logits, got 1",
    ],
    [
      () => crossEntropy(logits, new Int32Array(3)),
      RangeError,
      "crossEntropy(): labels must hold 2 entries, one per row of logits, got 3",
    ],
    [
      () => crossEntropy(logits, [0, "1"] as never),
      TypeError,
      'crossEntropy(): labels[1] must be an integer in [0, 2], got "1"',
    ],
    [
      () => crossEntropy(logits, [0, 1.5]),
      RangeError,
      "crossEntropy(): labels[1] must be an integer in [0, 2], got 1.5",
    ],
    [
      () => crossEntropy(logits, [0, 3]),
      RangeError,
      "crossEntropy(): labels[1] must be an integer in [0, 2], got 3",
    ],
    [
      () => crossEntropy(logits, [-1, 0]),
      RangeError,
      "crossEntropy(): labels[0] must be an integer in [0, 2], got -1",
    ],
    [
      () => crossEntropy(logits, new Int32Array([0, 7])),
      RangeError,
      "crossEntropy(): labels[1] must be an integer in [0, 2], got 7",
    ],
    [
      () => crossEntropy(logits, tf.tensor1d([0, 1], "float32")),
      TypeError,
      "crossEntropy(): labels must be of dtype int32, got a float32 tensor of shape [2]",
    ],
    [
      () => crossEntropy(logits, tf.tensor2d([[0], [1]], [2, 1], "int32")),
      TypeError,
      "crossEntropy(): labels must be a rank-1 tensor [N], got an int32 tensor of shape [2,1]",
    ],
    [
      () => crossEntropy(logits, tf.tensor1d([0, 1, 2], "int32")),
      RangeError,
      "crossEntropy(): labels must be an int32 tensor of shape [2], one per row of logits, " +
      "got an int32 tensor of shape [3]",
    ],
    [
      () => crossEntropy(logits, tf.tensor1d([0, 3], "int32")),
      RangeError,
      "crossEntropy(): labels must be integers in [0, 2], got 3",
    ],
    [
      () => crossEntropy(logits, tf.tensor1d([-2, 1], "int32")),
      RangeError,
      "crossEntropy(): labels must be integers in [0, 2], got -2",
    ],
    [
      () => crossEntropy(tf.tensor2d([[0, NaN]]), [0]),
      RangeError,
      "crossEntropy(): logits must be a tensor of finite values, got a float32 tensor of " +
      "shape [1,2] holding a NaN or infinity",
    ],
    [
      () => crossEntropy(logits, [0, 1], { checkValues: "no" as never }),
      TypeError,
      'crossEntropy(): checkValues must be a boolean, got "no"',
    ],
  ]);
  assert.equal(checked, 19);
  logits.dispose();
});
