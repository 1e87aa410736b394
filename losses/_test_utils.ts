// Helpers for this package's tests (not published): seeded random inputs (from
// @selfsup/internal's generator), float64 finite differences and tolerant comparisons.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { Random } from "@selfsup/internal";

/** A matrix as rows of float64 numbers. */
export type Matrix = number[][];

/** A seeded [rows, cols] matrix of standard normal numbers, scaled by `scale`. */
export function randomMatrix(seed: number, rows: number, cols: number, scale = 1): Matrix {
  const random = new Random(seed);
  return Array.from(
    { length: rows },
    () => Array.from({ length: cols }, () => scale * random.normal()),
  );
}

/** `n` seeded labels, uniform in [0, k). */
export function randomLabels(seed: number, n: number, k: number): number[] {
  const random = new Random(seed);
  return Array.from({ length: n }, () => random.integer(k));
}

/**
 * The matrix as float32 numbers, so a float64 reference sees exactly the values the float32
 * tensor holds.
 */
export function roundToFloat32(x: Matrix): Matrix {
  return x.map((row) => row.map(Math.fround));
}

/** Evaluates a scalar loss on float32 copies of the inputs and returns its value. */
export function lossValue(f: (...inputs: tf.Tensor[]) => tf.Scalar, ...inputs: Matrix[]): number {
  const tensors = inputs.map((x) => tf.tensor2d(x));
  const loss = f(...tensors);
  const value = loss.dataSync()[0];
  tf.dispose([loss, ...tensors]);
  return value;
}

/** Gradients of a scalar loss with respect to each input, as float64 rows. */
export function lossGradients(f: (...inputs: tf.Tensor[]) => tf.Scalar, ...inputs: Matrix[]) {
  const tensors = inputs.map((x) => tf.tensor2d(x));
  const grads = tf.grads((...xs: tf.Tensor[]) => f(...xs))(tensors);
  const rows = grads.map((g) => g.arraySync() as Matrix);
  tf.dispose([...grads, ...tensors]);
  return rows;
}

/**
 * Central finite differences (x + h) and (x - h) of a float64 function of several matrices,
 * one coordinate at a time: the numerical gradient with respect to every input.
 */
export function finiteDifferenceGradients(
  f: (...inputs: Matrix[]) => number,
  inputs: Matrix[],
  h = 1e-6,
): Matrix[] {
  return inputs.map((x, which) =>
    x.map((row, i) =>
      row.map((_, j) => {
        const shifted = (delta: number) =>
          f(...inputs.map((y, k) =>
            k !== which ? y : y.map((r, a) => r.map((v, b) => a === i && b === j ? v + delta : v))
          ));
        return (shifted(h) - shifted(-h)) / (2 * h);
      })
    )
  );
}

/** Asserts |actual - expected| <= tolerance, with a message that shows both. */
export function assertClose(actual: number, expected: number, tolerance: number, what = "") {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what} expected ${expected}, got ${actual} (difference ${
      Math.abs(actual - expected)
    } > ${tolerance})`,
  );
}

/** Asserts every entry of two equally shaped matrices is within `tolerance`. */
export function assertMatricesClose(
  actual: Matrix,
  expected: Matrix,
  tolerance: number,
  what = "",
) {
  assert.equal(actual.length, expected.length, `${what} row count`);
  actual.forEach((row, i) =>
    row.forEach((v, j) => assertClose(v, expected[i][j], tolerance, `${what}[${i}][${j}]`))
  );
}

/** The largest absolute entry of the matrices. */
export function maxAbs(...xs: Matrix[]): number {
  return Math.max(...xs.flat(2).map(Math.abs));
}

/** A call that must throw: the call, the exact error class and the exact message. */
export type Rejection = [call: () => unknown, type: ErrorConstructor, message: string];

/**
 * Asserts every call throws an error of exactly that class with exactly that message; tensors
 * made by the calls are tidied. Returns how many calls were checked.
 */
export function assertRejections(cases: Rejection[]): number {
  for (const [call, type, message] of cases) {
    tf.tidy(() => {
      assert.throws(call, (e: unknown) => {
        assert.ok(e instanceof Error, `not an Error: ${e}`);
        assert.equal(e.constructor, type, `${e}`);
        assert.equal(e.message, message);
        return true;
      });
    });
  }
  return cases.length;
}
