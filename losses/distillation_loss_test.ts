import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { distillationLoss } from "./distillation_loss.ts";
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

function softmax64(row: number[], temperature: number): number[] {
  const max = Math.max(...row);
  const e = row.map((v) => Math.exp((v - max) / temperature));
  const total = e.reduce((s, v) => s + v, 0);
  return e.map((v) => v / total);
}

// log softmax(row / T) in float64, from the log-sum-exp (so a probability that underflows to
// 0 still has a finite log).
function logSoftmax64(row: number[], temperature: number): number[] {
  const max = Math.max(...row);
  const logSum = Math.log(row.reduce((s, v) => s + Math.exp((v - max) / temperature), 0));
  return row.map((v) => (v - max) / temperature - logSum);
}

// An independent float64 distillation loss: T^2 * mean_i sum_k -q_ik log p_ik with q, p the
// tempered softmaxes of teacher and student.
function distillationReference(student: Matrix, teacher: Matrix, temperature: number): number {
  let total = 0;
  student.forEach((row, i) => {
    const logP = logSoftmax64(row, temperature);
    const q = softmax64(teacher[i], temperature);
    q.forEach((qk, k) => total -= qk * logP[k]);
  });
  return temperature * temperature * total / student.length;
}

const distillAt = (temperature: number) => (s: tf.Tensor, t: tf.Tensor) =>
  distillationLoss(s, t, { temperature });

Deno.test("distillationLoss() matches a float64 reference for random inputs", () => {
  const cases = [
    { n: 1, k: 1, temperature: 1, scale: 1 },
    { n: 2, k: 3, temperature: 0.5, scale: 1 },
    { n: 8, k: 10, temperature: 1, scale: 3 },
    { n: 16, k: 100, temperature: 2, scale: 5 },
    { n: 4, k: 1000, temperature: 10, scale: 1 },
    { n: 5, k: 7, temperature: 0.1, scale: 4 },
  ];
  cases.forEach(({ n, k, temperature, scale }, i) => {
    const s = roundToFloat32(randomMatrix(900 + i, n, k, scale));
    const t = roundToFloat32(randomMatrix(950 + i, n, k, scale));
    const expected = distillationReference(s, t, temperature);
    const actual = lossValue(distillAt(temperature), s, t);
    assertClose(actual, expected, 1e-6 * (1 + expected), `N=${n} K=${k} T=${temperature}:`);
  });
});

Deno.test("distillationLoss() stays finite and exact for logits in the hundreds", () => {
  const s = roundToFloat32(randomMatrix(960, 4, 6, 300));
  const t = roundToFloat32(randomMatrix(961, 4, 6, 300));
  const expected = distillationReference(s, t, 1);
  assertClose(lossValue(distillAt(1), s, t), expected, 1e-6 * (1 + expected));
});

Deno.test("distillationLoss() uses temperature 1 by default", () => {
  const s = roundToFloat32(randomMatrix(965, 3, 4));
  const t = roundToFloat32(randomMatrix(966, 3, 4));
  const expected = distillationReference(s, t, 1);
  assertClose(lossValue((a, b) => distillationLoss(a, b), s, t), expected, 1e-6 * (1 + expected));
});

Deno.test("distillationLoss() of a student equal to its teacher is T^2 times its entropy", () => {
  const t = randomMatrix(970, 5, 6, 2);
  for (const temperature of [0.5, 1, 4]) {
    const entropy = t.reduce(
      (s, row) => s - softmax64(row, temperature).reduce((e, q) => e + q * Math.log(q), 0),
      0,
    ) / t.length;
    const expected = temperature * temperature * entropy;
    assertClose(lossValue(distillAt(temperature), t, t), expected, 1e-5 * (1 + expected));
  }
});

Deno.test("distillationLoss() passes exactly zero gradient to the teacher", () => {
  const student = tf.variable(tf.randomNormal([4, 5], 0, 1, "float32", 7));
  const teacher = tf.variable(tf.randomNormal([4, 5], 0, 1, "float32", 8));
  const { value, grads } = tf.variableGrads(
    () => distillationLoss(student, teacher, { temperature: 2 }),
    [student, teacher],
  );
  assert.ok(Array.from(grads[teacher.name].dataSync()).every((g) => g === 0));
  assert.ok(Array.from(grads[student.name].dataSync()).some((g) => g !== 0));
  tf.dispose([student, teacher, value, ...Object.values(grads)]);
});

Deno.test("distillationLoss() gradient matches finite differences and T (p - q) / N", () => {
  for (const [n, k, temperature, seed] of [[1, 2, 1, 980], [3, 4, 2, 981], [4, 3, 0.5, 982]]) {
    const s = roundToFloat32(randomMatrix(seed, n, k, 2));
    const t = roundToFloat32(randomMatrix(seed + 10, n, k, 2));
    const [numerical] = finiteDifferenceGradients(
      (a) => distillationReference(a, t, temperature),
      [s],
    );
    // d/ds of T^2 * CE(q, softmax(s / T)) is T (softmax(s / T) - q), divided by N for the mean.
    const analytic = s.map((row, i) => {
      const p = softmax64(row, temperature);
      const q = softmax64(t[i], temperature);
      return p.map((pk, j) => temperature * (pk - q[j]) / n);
    });
    const [actual] = lossGradients(distillAt(temperature), s, t);
    const tolerance = 1e-5 * maxAbs(analytic);
    assertMatricesClose(numerical, analytic, tolerance, `T=${temperature} reference`);
    assertMatricesClose(actual, analytic, tolerance, `T=${temperature} dstudent`);
  }
});

Deno.test("distillationLoss() gradient agrees with a float32 finite difference of itself", () => {
  const [s, t, v] = [990, 991, 992].map((seed) => randomMatrix(seed, 5, 8));
  const h = 1e-2;
  const loss = (sign: number) =>
    lossValue(distillAt(2), s.map((row, i) => row.map((x, j) => x + sign * h * v[i][j])), t);
  const numerical = (loss(1) - loss(-1)) / (2 * h);
  const [g] = lossGradients(distillAt(2), s, t);
  const analytic = g.flat().reduce((sum, x, k) => sum + x * v.flat()[k], 0);
  assertClose(analytic, numerical, 1e-2 * Math.abs(numerical) + 1e-4);
});

Deno.test("distillationLoss() leaks no tensors in a value-and-gradients step", () => {
  const student = tf.variable(tf.randomNormal([8, 10], 0, 1, "float32", 9));
  const teacher = tf.randomNormal([8, 10], 0, 1, "float32", 10);
  for (const checkValues of [true, false]) {
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() =>
      distillationLoss(student, teacher, { checkValues })
    );
    tf.dispose([value, ...Object.values(grads)]);
    assert.equal(tf.memory().numTensors, before, `checkValues: ${checkValues}`);
  }
  const optimizer = tf.train.sgd(0.1);
  optimizer.minimize(() => distillationLoss(student, teacher));
  const afterFirstStep = tf.memory().numTensors;
  for (let step = 0; step < 5; step++) optimizer.minimize(() => distillationLoss(student, teacher));
  assert.equal(tf.memory().numTensors, afterFirstStep);
  tf.dispose([student, teacher]);
  optimizer.dispose();
});

Deno.test("distillationLoss() rejects bad arguments with a house-format error naming them", () => {
  const good = tf.ones([2, 3]);
  const checked = assertRejections([
    [
      () => distillationLoss(good, "logits" as never),
      TypeError,
      'distillationLoss(): teacherLogits must be a rank-2 tensor [N, K], got "logits"',
    ],
    [
      () => distillationLoss(tf.ones([2, 3], "int32"), good),
      TypeError,
      "distillationLoss(): studentLogits must be of dtype float32, got an int32 tensor of shape [2,3]",
    ],
    [
      () => distillationLoss(tf.ones([6]), good),
      TypeError,
      "distillationLoss(): studentLogits must be a rank-2 tensor [N, K], " +
      "got a float32 tensor of shape [6]",
    ],
    [
      () => distillationLoss(good, tf.ones([2, 4])),
      RangeError,
      "distillationLoss(): teacherLogits must be a tensor of the shape of studentLogits [2,3], " +
      "got a float32 tensor of shape [2,4]",
    ],
    [
      () => distillationLoss(good, good, { temperature: 0 }),
      RangeError,
      "distillationLoss(): temperature must be a finite number > 0, got 0",
    ],
    [
      () => distillationLoss(good, good, { temperature: null as never }),
      TypeError,
      "distillationLoss(): temperature must be a finite number > 0, got null",
    ],
    [
      () => distillationLoss(good, good, [] as never),
      TypeError,
      "distillationLoss(): options must be an object, got []",
    ],
    [
      () => distillationLoss(good, good, { checkValues: 0 as never }),
      TypeError,
      "distillationLoss(): checkValues must be a boolean, got 0",
    ],
    [
      () => distillationLoss(tf.tensor2d([[NaN]]), tf.ones([1, 1])),
      RangeError,
      "distillationLoss(): studentLogits must be a tensor of finite values, " +
      "got a float32 tensor of shape [1,1] holding a NaN or infinity",
    ],
    [
      () => distillationLoss(tf.ones([1, 1]), tf.tensor2d([[-Infinity]])),
      RangeError,
      "distillationLoss(): teacherLogits must be a tensor of finite values, " +
      "got a float32 tensor of shape [1,1] holding a NaN or infinity",
    ],
  ]);
  assert.equal(checked, 10);
  good.dispose();
});
