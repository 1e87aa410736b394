import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { crossEntropy } from "./cross_entropy.ts";
import {
  assertClose,
  assertMatricesClose,
  finiteDifferenceGradients,
  type Matrix,
  maxAbs,
  randomMatrix,
  roundToFloat32,
  seededUniform,
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

function randomLabels(seed: number, n: number, k: number): number[] {
  const uniform = seededUniform(seed);
  return Array.from({ length: n }, () => Math.floor(uniform() * k));
}

// The loss for labels given as an array and as an int32 tensor.
function bothLabelForms(logits: Matrix, labels: number[]): [number, number] {
  return tf.tidy(() => {
    const x = tf.tensor2d(logits);
    const fromArray = crossEntropy(x, labels).dataSync()[0];
    const fromTensor = crossEntropy(x, tf.tensor1d(labels, "int32")).dataSync()[0];
    return [fromArray, fromTensor];
  });
}

Deno.test("crossEntropy() matches a float64 reference for labels as an array or a tensor", () => {
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
    const [fromArray, fromTensor] = bothLabelForms(logits, labels);
    assertClose(fromArray, expected, 1e-6 * (1 + expected), `N=${n} K=${k} array:`);
    assert.equal(fromTensor, fromArray, `N=${n} K=${k}: tensor and array labels differ`);
  });
});

Deno.test("crossEntropy() of uniform logits is log(K)", () => {
  const [fromArray] = bothLabelForms([[3, 3, 3, 3], [0, 0, 0, 0]], [0, 3]);
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
  for (const labels of [labelTensor, randomLabels(1201, 8, 10)]) {
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

Deno.test("crossEntropy() rejects bad arguments with an error naming them", () => {
  const logits = tf.ones([2, 3]);
  const cases: [() => unknown, ErrorConstructor, RegExp][] = [
    [() => crossEntropy([[1, 2]] as never, [0]), TypeError, /logits must be a tf.Tensor/],
    [() => crossEntropy(tf.ones([3]), [0]), RangeError, /logits must be a rank-2 tensor \[N, K\]/],
    [
      () => crossEntropy(tf.ones([2, 1]), [0, 0]),
      RangeError,
      /logits must have at least 2 columns/,
    ],
    [() => crossEntropy(logits, "01" as never), TypeError, /labels must be an int32 tensor or/],
    [() => crossEntropy(logits, [0]), RangeError, /labels must hold 2 entries .* got 1/],
    [() => crossEntropy(logits, [0, 1.5]), TypeError, /labels\[1\] must be an integer, got 1.5/],
    [() => crossEntropy(logits, [0, 3]), RangeError, /labels\[1\] must be in \[0, 3\), got 3/],
    [() => crossEntropy(logits, [-1, 0]), RangeError, /labels\[0\] must be in \[0, 3\), got -1/],
    [
      () => crossEntropy(logits, tf.tensor1d([0, 1], "float32")),
      TypeError,
      /labels must be an int32 tensor, got dtype float32/,
    ],
    [
      () => crossEntropy(logits, tf.tensor2d([[0], [1]], [2, 1], "int32")),
      RangeError,
      /labels must have shape \[2\] to match logits \[2, 3\], got \[2,1\]/,
    ],
    [
      () => crossEntropy(logits, tf.tensor1d([0, 3], "int32")),
      RangeError,
      /labels must be in \[0, 3\), got 3/,
    ],
    [
      () => crossEntropy(logits, tf.tensor1d([-2, 1], "int32")),
      RangeError,
      /labels must be in \[0, 3\), got -2/,
    ],
    [
      () => crossEntropy(tf.tensor2d([[0, NaN]]), [0]),
      RangeError,
      /logits must hold only finite values/,
    ],
    [() => crossEntropy(logits, [0, 1], { checkValues: "no" as never }), TypeError, /checkValues/],
  ];
  for (const [call, type, message] of cases) {
    tf.tidy(() =>
      assert.throws(call, (e: unknown) => e instanceof type && message.test(String(e)))
    );
  }
  logits.dispose();
});
