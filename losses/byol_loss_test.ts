import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { byolLoss } from "./byol_loss.ts";
import {
  assertClose,
  assertMatricesClose,
  assertRejections,
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

Deno.test("byolLoss() normalises rows far above 1.8e19, where the squared norm overflows", () => {
  // Issue 15 item 8: byolLoss(x, x) was 2 (zero vectors) instead of 0 for rows of 1e20.
  const x = [[1e20, -1e20, 1e20], [3e37, 0, 1e37]];
  assertClose(lossValue(byol, x, x), 0, 1e-6, "byolLoss(x, x):");
  const p = roundToFloat32(randomMatrix(840, 6, 10));
  const z = roundToFloat32(randomMatrix(841, 6, 10));
  const expected = byolReference(p, z);
  const scales = [1e19, 1e20, 1e30, 1e37];
  for (const scale of scales) {
    const big = (m: Matrix) => roundToFloat32(m.map((row) => row.map((v) => v * scale)));
    assertClose(lossValue(byol, big(p), z), expected, 1e-6 * (1 + expected), `p at ${scale}:`);
    assertClose(lossValue(byol, p, big(z)), expected, 1e-6 * (1 + expected), `z at ${scale}:`);
  }
  assert.equal(scales.length, 4);
  // The gradient at scale c is the reference's divided by c.
  const [reference] = finiteDifferenceGradients((a) => byolReference(a, z), [p]);
  const [atScale] = lossGradients(byol, p.map((row) => row.map((v) => v * 1e25)), z);
  assertMatricesClose(
    atScale.map((row) => row.map((v) => v * 1e25)),
    reference,
    1e-5 * maxAbs(reference),
    "dp at 1e25",
  );
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

Deno.test("byolLoss() rejects bad arguments with a house-format error naming them", () => {
  const good = tf.ones([3, 4]);
  const checked = assertRejections([
    [
      () => byolLoss(undefined as never, good),
      TypeError,
      "byolLoss(): p must be a rank-2 tensor [N, D], got undefined",
    ],
    [
      () => byolLoss(good, tf.ones([3, 4], "bool")),
      TypeError,
      "byolLoss(): z must be of dtype float32, got a bool tensor of shape [3,4]",
    ],
    [
      () => byolLoss(tf.ones([3, 4, 1]), good),
      TypeError,
      "byolLoss(): p must be a rank-2 tensor [N, D], got a float32 tensor of shape [3,4,1]",
    ],
    [
      () => byolLoss(tf.ones([0, 4]), tf.ones([0, 4])),
      RangeError,
      "byolLoss(): p must be a tensor [N, D] with at least 1 row and 1 column, " +
      "got a float32 tensor of shape [0,4]",
    ],
    [
      () => byolLoss(good, tf.ones([4, 4])),
      RangeError,
      "byolLoss(): z must be a tensor of the shape of p [3,4], got a float32 tensor of shape [4,4]",
    ],
    [
      () => byolLoss(good, good, null as never),
      TypeError,
      "byolLoss(): options must be an object, got null",
    ],
    [
      () => byolLoss(good, good, { checkValues: "no" as never }),
      TypeError,
      'byolLoss(): checkValues must be a boolean, got "no"',
    ],
    [
      () => byolLoss(tf.tensor2d([[Infinity]]), tf.ones([1, 1])),
      RangeError,
      "byolLoss(): p must be a tensor of finite values, got a float32 tensor of shape [1,1] " +
      "holding a NaN or infinity",
    ],
    [
      () => byolLoss(tf.ones([1, 1]), tf.tensor2d([[NaN]])),
      RangeError,
      "byolLoss(): z must be a tensor of finite values, got a float32 tensor of shape [1,1] " +
      "holding a NaN or infinity",
    ],
  ]);
  assert.equal(checked, 9);
  good.dispose();
});
