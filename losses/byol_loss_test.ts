import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { byolLoss } from "./byol_loss.ts";
import {
  assertClose,
  assertMatricesClose,
  finiteDifferenceGradients,
  lossGradients,
  lossValue,
  type Matrix,
  maxAbs,
  randomMatrix,
  roundToFloat32,
} from "./_test_utils.ts";

tf.enableProdMode();

// An independent float64 BYOL loss: the batch mean of 2 - 2 cos(p_i, z_i).
function byolReference(p: Matrix, z: Matrix): number {
  let total = 0;
  p.forEach((row, i) => {
    let dot = 0, pp = 0, zz = 0;
    row.forEach((v, k) => {
      dot += v * z[i][k];
      pp += v * v;
      zz += z[i][k] * z[i][k];
    });
    total += 2 - 2 * dot / Math.sqrt(pp * zz);
  });
  return total / p.length;
}

const byol = (p: tf.Tensor, z: tf.Tensor) => byolLoss(p, z);

Deno.test("byolLoss() matches a float64 reference for random inputs", () => {
  const cases = [
    { n: 1, d: 1 },
    { n: 2, d: 3 },
    { n: 8, d: 16 },
    { n: 32, d: 256 },
    { n: 4, d: 2048 },
  ];
  cases.forEach(({ n, d }, i) => {
    const p = roundToFloat32(randomMatrix(700 + i, n, d, 5));
    const z = roundToFloat32(randomMatrix(750 + i, n, d, 0.1));
    const expected = byolReference(p, z);
    assertClose(lossValue(byol, p, z), expected, 1e-6 * (1 + expected), `N=${n} D=${d}:`);
  });
});

Deno.test("byolLoss() is 0 for aligned, 2 for orthogonal and 4 for opposite rows", () => {
  const z = [[1, 2, -2], [0, 3, 0]];
  assertClose(lossValue(byol, [[0.5, 1, -1], [0, 7, 0]], z), 0, 1e-6);
  assertClose(lossValue(byol, [[2, -1, 0], [1, 0, 5]], z), 2, 1e-6);
  assertClose(lossValue(byol, [[-3, -6, 6], [0, -1e-3, 0]], z), 4, 1e-6);
  assertClose(lossValue(byol, [[0.5, 1, -1], [0, -1, 0]], z), 2, 1e-6); // (0 + 4) / 2
});

Deno.test("byolLoss() passes exactly zero gradient to the target z", () => {
  const p = tf.variable(tf.randomNormal([5, 6], 0, 1, "float32", 3));
  const z = tf.variable(tf.randomNormal([5, 6], 0, 1, "float32", 4));
  const { value, grads } = tf.variableGrads(() => byolLoss(p, z), [p, z]);
  assert.ok(Array.from(grads[z.name].dataSync()).every((g) => g === 0));
  assert.ok(Array.from(grads[p.name].dataSync()).some((g) => g !== 0));
  tf.dispose([p, z, value, ...Object.values(grads)]);
});

Deno.test("byolLoss() gradient matches central finite differences of the float64 reference", () => {
  for (const [n, d, seed] of [[1, 2, 800], [3, 4, 810], [6, 5, 820]]) {
    const p = roundToFloat32(randomMatrix(seed, n, d, 2));
    const z = roundToFloat32(randomMatrix(seed + 1, n, d));
    const [expected] = finiteDifferenceGradients((a) => byolReference(a, z), [p]);
    const [actual] = lossGradients(byol, p, z);
    assertMatricesClose(actual, expected, 1e-5 * maxAbs(expected), `N=${n} D=${d} dp`);
  }
});

Deno.test("byolLoss() gradient agrees with a float32 finite difference of byolLoss() itself", () => {
  const [p, z, v] = [830, 831, 832].map((seed) => randomMatrix(seed, 6, 10));
  const h = 1e-2;
  const loss = (sign: number) =>
    lossValue(byol, p.map((row, i) => row.map((x, j) => x + sign * h * v[i][j])), z);
  const numerical = (loss(1) - loss(-1)) / (2 * h);
  const [g] = lossGradients(byol, p, z);
  const analytic = g.flat().reduce((s, x, k) => s + x * v.flat()[k], 0);
  assertClose(analytic, numerical, 1e-2 * Math.abs(numerical) + 1e-4);
});

Deno.test("byolLoss() stays finite, with finite gradients, for a zero row", () => {
  const p = [[0, 0, 0], [1, 2, 3]];
  const z = [[1, 0, 0], [0, 0, 0]];
  assertClose(lossValue(byol, p, z), 2, 1e-6); // each row has cosine 0
  const [g] = lossGradients(byol, p, z);
  assert.ok(g.flat().every(Number.isFinite));
});

Deno.test("byolLoss() leaks no tensors in a value-and-gradients step", () => {
  const p = tf.variable(tf.randomNormal([8, 16], 0, 1, "float32", 5));
  const z = tf.randomNormal([8, 16], 0, 1, "float32", 6);
  for (const checkValues of [true, false]) {
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => byolLoss(p, z, { checkValues }));
    tf.dispose([value, ...Object.values(grads)]);
    assert.equal(tf.memory().numTensors, before, `checkValues: ${checkValues}`);
  }
  const optimizer = tf.train.sgd(0.1);
  optimizer.minimize(() => byolLoss(p, z));
  const afterFirstStep = tf.memory().numTensors;
  for (let step = 0; step < 5; step++) optimizer.minimize(() => byolLoss(p, z));
  assert.equal(tf.memory().numTensors, afterFirstStep);
  tf.dispose([p, z]);
  optimizer.dispose();
});

Deno.test("byolLoss() rejects bad arguments with an error naming them", () => {
  const good = tf.ones([3, 4]);
  const cases: [() => unknown, ErrorConstructor, RegExp][] = [
    [() => byolLoss(undefined as never, good), TypeError, /p must be a tf.Tensor \[N, D\]/],
    [() => byolLoss(good, tf.ones([3, 4], "bool")), TypeError, /z must have dtype float32/],
    [() => byolLoss(tf.ones([3, 4, 1]), good), RangeError, /p must be a rank-2 tensor/],
    [() => byolLoss(tf.ones([0, 4]), tf.ones([0, 4])), RangeError, /p must have at least 1 row/],
    [() => byolLoss(good, tf.ones([4, 4])), RangeError, /p and z must have the same shape/],
    [() => byolLoss(good, good, null as never), TypeError, /options must be an object/],
    [
      () => byolLoss(tf.tensor2d([[Infinity]]), tf.ones([1, 1])),
      RangeError,
      /p must hold only finite values/,
    ],
    [
      () => byolLoss(tf.ones([1, 1]), tf.tensor2d([[NaN]])),
      RangeError,
      /z must hold only finite values/,
    ],
  ];
  for (const [call, type, message] of cases) {
    tf.tidy(() =>
      assert.throws(call, (e: unknown) => e instanceof type && message.test(String(e)))
    );
  }
  good.dispose();
});
