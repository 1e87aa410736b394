import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { normalizeRows } from "./_normalize.ts";
import { assertMatricesClose, type Matrix, randomMatrix, roundToFloat32 } from "./_test_utils.ts";

tf.enableProdMode();

// The float64 definition: x / max(|x|, 1e-12) row by row.
function normalizeReference(x: Matrix): Matrix {
  return x.map((row) => {
    const norm = Math.hypot(...row);
    return row.map((v) => v / Math.max(norm, 1e-12));
  });
}

// The float64 vector-Jacobian product of that map for the cotangent dy.
function normalizeGradientReference(x: Matrix, dy: Matrix): Matrix {
  return x.map((row, i) => {
    const norm = Math.hypot(...row);
    if (norm < 1e-12) return dy[i].map((d) => d / 1e-12);
    const u = row.map((v) => v / norm);
    const radial = u.reduce((s, uk, k) => s + uk * dy[i][k], 0);
    return dy[i].map((d, k) => (d - u[k] * radial) / norm);
  });
}

function valueAndGradient(x: Matrix, dy: Matrix): [Matrix, Matrix] {
  return tf.tidy(() => {
    const input = tf.tensor2d(x);
    const cotangent = tf.tensor2d(dy);
    const value = normalizeRows(input).arraySync() as Matrix;
    const gradient = tf.grad((z: tf.Tensor) =>
      tf.sum(tf.mul(normalizeRows(z as tf.Tensor2D), cotangent))
    )(
      input,
    );
    return [value, gradient.arraySync() as Matrix];
  });
}

// Rows whose sizes span float32's range: tiny (below 1e-12, treated as zero vectors), ordinary,
// and far beyond 1.8e19, where the squared norm overflows float32.
const scales = [1e-30, 1e-13, 1e-6, 1, 1e3, 1e19, 1e20, 1e30, 1e37];

Deno.test("normalizeRows() matches x / max(|x|, 1e-12) for rows from 1e-30 to 1e37", () => {
  const direction = randomMatrix(1, scales.length, 7);
  const x = roundToFloat32(direction.map((row, i) => row.map((v) => v * scales[i])));
  const [actual] = valueAndGradient(x, x.map((row) => row.map(() => 0)));
  const expected = normalizeReference(x);
  assertMatricesClose(actual, expected, 1e-6, "unit rows");
  // Rows of norm >= 1e-12 come out with norm 1.
  actual.forEach((row, i) => {
    if (Math.hypot(...x[i]) >= 1e-12) {
      assert.ok(Math.abs(Math.hypot(...row) - 1) < 1e-6, `row ${i}`);
    }
  });
});

Deno.test("normalizeRows() has the exact gradient at every scale, with and without the floor", () => {
  const direction = randomMatrix(2, scales.length, 5);
  const x = roundToFloat32(direction.map((row, i) => row.map((v) => v * scales[i])));
  const dy = roundToFloat32(randomMatrix(3, scales.length, 5));
  const [, actual] = valueAndGradient(x, dy);
  const expected = normalizeGradientReference(x, dy);
  actual.forEach((row, i) => {
    // The gradient scales as 1 / |x|: compare relative to the row's largest entry.
    const size = Math.max(...expected[i].map(Math.abs));
    assert.ok(size > 0 && Number.isFinite(size), `row ${i}: reference ${size}`);
    assertMatricesClose(
      [row.map((v) => v / size)],
      [expected[i].map((v) => v / size)],
      2e-6,
      `row ${i}`,
    );
  });
});

Deno.test("normalizeRows() keeps a zero row at zero with the finite gradient dy / 1e-12", () => {
  const [value, gradient] = valueAndGradient([[0, 0, 0], [3, 0, 4]], [[1, -2, 0.5], [1, 1, 1]]);
  assert.deepEqual(value[0], [0, 0, 0]);
  assertMatricesClose([gradient[0].map((v) => v * 1e-12)], [[1, -2, 0.5]], 1e-6, "zero row");
  assertMatricesClose([value[1]], [[0.6, 0, 0.8]], 1e-7, "3-4-5 row");
});
