import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { ntXent } from "./nt_xent.ts";
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

// An independent float64 NT-Xent written as plain loops: every anchor's log-softmax over the
// other 2N-1 views, the positive being the other view of the same image.
function ntXentReference(z1: Matrix, z2: Matrix, temperature: number): number {
  const views = [...z1, ...z2].map((row) => {
    const norm = Math.sqrt(row.reduce((s, v) => s + v * v, 0));
    return row.map((v) => norm > 1e-12 ? v / norm : 0);
  });
  const m = views.length;
  let total = 0;
  for (let a = 0; a < m; a++) {
    const logits: number[] = [];
    let positive = 0;
    for (let b = 0; b < m; b++) {
      if (b === a) continue;
      let dot = 0;
      for (let k = 0; k < views[a].length; k++) dot += views[a][k] * views[b][k];
      logits.push(dot / temperature);
      if (b === (a + m / 2) % m) positive = dot / temperature;
    }
    const max = Math.max(...logits);
    const logSumExp = max + Math.log(logits.reduce((s, l) => s + Math.exp(l - max), 0));
    total += logSumExp - positive;
  }
  return total / m;
}

const ntXentAt = (temperature: number) => (z1: tf.Tensor, z2: tf.Tensor) =>
  ntXent(z1, z2, { temperature });

// Views of N images that all lie near one common direction: every cosine is close to 1, so
// at temperature 0.01 the logits are close to 100 and exp() of them overflows float32 unless
// the maximum is subtracted.
function nearlyParallel(seed: number, n: number, d: number, spread: number): [Matrix, Matrix] {
  const [common] = randomMatrix(seed, 1, d);
  const noise1 = randomMatrix(seed + 1, n, d, spread);
  const noise2 = randomMatrix(seed + 2, n, d, spread);
  return [
    roundToFloat32(noise1.map((row) => row.map((v, k) => common[k] + v))),
    roundToFloat32(noise2.map((row) => row.map((v, k) => common[k] + v))),
  ];
}

// float32 carries about 7 significant digits: allow 1e-6 relative error on the loss.
const tolerance = (expected: number) => 1e-6 * (1 + Math.abs(expected));

Deno.test("ntXent() matches a float64 reference for random inputs", () => {
  const cases = [
    { n: 2, d: 1, temperature: 0.5 },
    { n: 3, d: 5, temperature: 0.1 },
    { n: 4, d: 7, temperature: 2 },
    { n: 8, d: 16, temperature: 1 },
    { n: 16, d: 128, temperature: 0.07 },
    { n: 6, d: 32, temperature: 0.01 },
    { n: 5, d: 2048, temperature: 0.01 },
    { n: 32, d: 2048, temperature: 0.5 },
  ];
  cases.forEach(({ n, d, temperature }, i) => {
    const z1 = roundToFloat32(randomMatrix(10 + i, n, d, 3));
    const z2 = roundToFloat32(randomMatrix(50 + i, n, d));
    const expected = ntXentReference(z1, z2, temperature);
    const actual = lossValue(ntXentAt(temperature), z1, z2);
    assertClose(actual, expected, tolerance(expected), `N=${n} D=${d} t=${temperature}:`);
  });
});

Deno.test("ntXent() stays finite and exact at temperature 0.01 when every cosine is near 1", () => {
  const cases = [
    { n: 4, d: 8, spread: 0.05 },
    { n: 8, d: 2048, spread: 0.002 },
    { n: 3, d: 64, spread: 0 },
  ];
  cases.forEach(({ n, d, spread }, i) => {
    const [z1, z2] = nearlyParallel(100 + 3 * i, n, d, spread);
    const expected = ntXentReference(z1, z2, 0.01);
    const actual = lossValue(ntXentAt(0.01), z1, z2);
    assert.ok(Number.isFinite(actual), `N=${n} D=${d}: loss ${actual} is not finite`);
    assertClose(actual, expected, tolerance(expected), `N=${n} D=${d} spread=${spread}:`);
  });
});

Deno.test("ntXent() equals log(2N - 1) when every embedding is identical", () => {
  for (const n of [2, 3, 8, 64]) {
    for (const temperature of [0.01, 0.5, 10]) {
      // Every row points the same way with different lengths: all cosines are 1.
      const [direction] = randomMatrix(n, 1, 5);
      const z1 = Array.from({ length: n }, (_, i) => direction.map((v) => v * (i + 1)));
      const z2 = Array.from({ length: n }, (_, i) => direction.map((v) => v / (i + 1)));
      const actual = lossValue(ntXentAt(temperature), z1, z2);
      assertClose(actual, Math.log(2 * n - 1), 1e-5, `N=${n} t=${temperature}:`);
    }
  }
});

Deno.test("ntXent() is symmetric in its two views", () => {
  for (const [n, d, temperature] of [[2, 3, 0.5], [7, 16, 0.1], [5, 2048, 0.01]]) {
    const z1 = randomMatrix(200 + n, n, d);
    const z2 = randomMatrix(300 + n, n, d);
    const forward = lossValue(ntXentAt(temperature), z1, z2);
    const swapped = lossValue(ntXentAt(temperature), z2, z1);
    assertClose(swapped, forward, tolerance(forward), `N=${n} D=${d} t=${temperature}:`);
  }
});

Deno.test("ntXent() uses the default temperature 0.5", () => {
  const z1 = roundToFloat32(randomMatrix(400, 4, 6));
  const z2 = roundToFloat32(randomMatrix(401, 4, 6));
  const expected = ntXentReference(z1, z2, 0.5);
  assertClose(lossValue((a, b) => ntXent(a, b), z1, z2), expected, tolerance(expected));
});

Deno.test("ntXent() gradients match central finite differences of the float64 reference", () => {
  const cases = [
    { n: 2, d: 3, temperature: 0.5, seed: 500 },
    { n: 3, d: 4, temperature: 0.1, seed: 510 },
    { n: 4, d: 2, temperature: 1.5, seed: 520 },
  ];
  for (const { n, d, temperature, seed } of cases) {
    const z1 = roundToFloat32(randomMatrix(seed, n, d, 2));
    const z2 = roundToFloat32(randomMatrix(seed + 1, n, d));
    const expected = finiteDifferenceGradients(
      (a, b) => ntXentReference(a, b, temperature),
      [z1, z2],
    );
    const actual = lossGradients(ntXentAt(temperature), z1, z2);
    const scale = maxAbs(...expected);
    assertMatricesClose(actual[0], expected[0], 1e-5 * scale, `t=${temperature} dz1`);
    assertMatricesClose(actual[1], expected[1], 1e-5 * scale, `t=${temperature} dz2`);
  }
});

Deno.test("ntXent() gradient agrees with a float32 finite difference of ntXent() itself", () => {
  // Along a random direction v: (L(z + hv) - L(z - hv)) / 2h ~ <grad L, v>.
  const [z1, z2, v1, v2] = [600, 601, 602, 603].map((seed) => randomMatrix(seed, 6, 10));
  const h = 1e-2;
  const loss = (sign: number) =>
    lossValue(
      ntXentAt(0.2),
      z1.map((row, i) => row.map((x, j) => x + sign * h * v1[i][j])),
      z2.map((row, i) => row.map((x, j) => x + sign * h * v2[i][j])),
    );
  const numerical = (loss(1) - loss(-1)) / (2 * h);
  const [g1, g2] = lossGradients(ntXentAt(0.2), z1, z2);
  const analytic = [g1, g2].reduce(
    (s, g, w) => s + g.flat().reduce((t, x, k) => t + x * [v1, v2][w].flat()[k], 0),
    0,
  );
  assertClose(analytic, numerical, 1e-2 * Math.abs(numerical) + 1e-4);
});

Deno.test("ntXent() has finite gradients for a zero row and at temperature 0.01", () => {
  const withZeroRow = [[[0, 0, 0], [1, 2, 3]], [[1, 0, 0], [0, 1, 1]]];
  const expected = ntXentReference(withZeroRow[0], withZeroRow[1], 0.5);
  assertClose(lossValue(ntXentAt(0.5), ...withZeroRow), expected, tolerance(expected));
  const [z1, z2] = nearlyParallel(650, 4, 16, 0.01);
  for (const [inputs, temperature] of [[withZeroRow, 0.5], [[z1, z2], 0.01]] as const) {
    const grads = lossGradients(ntXentAt(temperature), ...inputs);
    assert.ok(grads.flat(2).every(Number.isFinite), `t=${temperature}: non-finite gradient`);
  }
});

Deno.test("ntXent() normalises rows far above 1.8e19, where the squared norm overflows", () => {
  // Issue 15 item 8: rows of 1e20 were treated as zero vectors (1.669 instead of log 3).
  const ones = [[1e20, 1e20], [1e20, 1e20]];
  assertClose(lossValue(ntXentAt(0.5), ones, ones), Math.log(3), 1e-6, "rows of 1e20:");
  // Random rows at each scale give the loss of the unscaled rows (NT-Xent is scale-invariant).
  const z1 = roundToFloat32(randomMatrix(660, 5, 8));
  const z2 = roundToFloat32(randomMatrix(661, 5, 8));
  const expected = ntXentReference(z1, z2, 0.2);
  const scales = [1e19, 1e20, 1e30, 1e37];
  for (const scale of scales) {
    const big = (z: Matrix) => roundToFloat32(z.map((row) => row.map((v) => v * scale)));
    const actual = lossValue(ntXentAt(0.2), big(z1), big(z2));
    assertClose(actual, expected, tolerance(expected), `scale ${scale}:`);
  }
  assert.equal(scales.length, 4);
});

Deno.test("ntXent() gradients at scale c are the float64 reference's divided by c", () => {
  const z1 = roundToFloat32(randomMatrix(670, 3, 4, 2));
  const z2 = roundToFloat32(randomMatrix(671, 3, 4));
  const expected = finiteDifferenceGradients((a, b) => ntXentReference(a, b, 0.5), [z1, z2]);
  const size = maxAbs(...expected);
  for (const scale of [1e20, 1e30]) {
    const big = (z: Matrix) => z.map((row) => row.map((v) => v * scale));
    // L(c z) = L(z), so grad L(c z) = grad L(z) / c: compare c * grad with the reference.
    const actual = lossGradients(ntXentAt(0.5), big(z1), big(z2)).map((g) =>
      g.map((row) => row.map((v) => v * scale))
    );
    assertMatricesClose(actual[0], expected[0], 1e-5 * size, `scale ${scale} dz1`);
    assertMatricesClose(actual[1], expected[1], 1e-5 * size, `scale ${scale} dz2`);
  }
});

Deno.test("ntXent() leaks no tensors in a value-and-gradients step", () => {
  const z1 = tf.variable(tf.randomNormal([8, 16], 0, 1, "float32", 1));
  const z2 = tf.variable(tf.randomNormal([8, 16], 0, 1, "float32", 2));
  for (const checkValues of [true, false]) {
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => ntXent(z1, z2, { checkValues }));
    tf.dispose([value, ...Object.values(grads)]);
    assert.equal(tf.memory().numTensors, before, `checkValues: ${checkValues}`);
  }
  const optimizer = tf.train.sgd(0.1);
  optimizer.minimize(() => ntXent(z1, z2));
  const afterFirstStep = tf.memory().numTensors;
  for (let step = 0; step < 5; step++) optimizer.minimize(() => ntXent(z1, z2));
  assert.equal(tf.memory().numTensors, afterFirstStep);
  tf.dispose([z1, z2]);
  optimizer.dispose();
});

Deno.test("ntXent() rejects bad arguments with a house-format error naming them", () => {
  const good = tf.ones([3, 4]);
  const disposed = tf.ones([3, 4]);
  disposed.dispose();
  const checked = assertRejections([
    [
      () => ntXent([[1]] as never, good),
      TypeError,
      "ntXent(): z1 must be a rank-2 tensor [N, D], got [[1]]",
    ],
    [
      () => ntXent(good, tf.ones([3, 4], "int32")),
      TypeError,
      "ntXent(): z2 must be of dtype float32, got an int32 tensor of shape [3,4]",
    ],
    [
      () => ntXent(tf.ones([3]), good),
      TypeError,
      "ntXent(): z1 must be a rank-2 tensor [N, D], got a float32 tensor of shape [3]",
    ],
    [
      () => ntXent(disposed, good),
      TypeError,
      "ntXent(): z1 must be a tensor that is not disposed, got a float32 tensor of shape [3,4]",
    ],
    [
      () => ntXent(tf.ones([1, 4]), tf.ones([1, 4])),
      RangeError,
      "ntXent(): z1 must be a tensor [N, D] with at least 2 rows and 1 column, " +
      "got a float32 tensor of shape [1,4]",
    ],
    [
      () => ntXent(tf.ones([3, 0]), tf.ones([3, 0])),
      RangeError,
      "ntXent(): z1 must be a tensor [N, D] with at least 2 rows and 1 column, " +
      "got a float32 tensor of shape [3,0]",
    ],
    [
      () => ntXent(good, tf.ones([3, 5])),
      RangeError,
      "ntXent(): z2 must be a tensor of the shape of z1 [3,4], got a float32 tensor of shape [3,5]",
    ],
    [
      () => ntXent(good, good, { temperature: 0 }),
      RangeError,
      "ntXent(): temperature must be a finite number > 0, got 0",
    ],
    [
      () => ntXent(good, good, { temperature: -1 }),
      RangeError,
      "ntXent(): temperature must be a finite number > 0, got -1",
    ],
    [
      () => ntXent(good, good, { temperature: NaN }),
      RangeError,
      "ntXent(): temperature must be a finite number > 0, got NaN",
    ],
    [
      () => ntXent(good, good, { temperature: Infinity }),
      RangeError,
      "ntXent(): temperature must be a finite number > 0, got Infinity",
    ],
    [
      () => ntXent(good, good, { temperature: "0.5" as never }),
      TypeError,
      'ntXent(): temperature must be a finite number > 0, got "0.5"',
    ],
    [
      () => ntXent(good, good, 0.5 as never),
      TypeError,
      "ntXent(): options must be an object, got 0.5",
    ],
    [
      () => ntXent(good, good, null as never),
      TypeError,
      "ntXent(): options must be an object, got null",
    ],
    [
      () => ntXent(good, good, { checkValues: 1 as never }),
      TypeError,
      "ntXent(): checkValues must be a boolean, got 1",
    ],
    [
      () => ntXent(tf.tensor2d([[1, NaN], [0, 1]]), tf.ones([2, 2])),
      RangeError,
      "ntXent(): z1 must be a tensor of finite values, got a float32 tensor of shape [2,2] " +
      "holding a NaN or infinity",
    ],
    [
      () => ntXent(tf.ones([2, 2]), tf.tensor2d([[1, 0], [0, -Infinity]])),
      RangeError,
      "ntXent(): z2 must be a tensor of finite values, got a float32 tensor of shape [2,2] " +
      "holding a NaN or infinity",
    ],
  ]);
  assert.equal(checked, 17);
  // With the value check off a NaN flows through to the loss instead.
  const nan = tf.tensor2d([[1, NaN], [0, 1]]);
  const loss = tf.tidy(() => ntXent(nan, tf.ones([2, 2]), { checkValues: false }));
  assert.ok(Number.isNaN(loss.dataSync()[0]));
  tf.dispose([good, nan, loss]);
});
