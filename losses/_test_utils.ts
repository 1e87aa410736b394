// Helpers for this package's tests (not published): seeded random inputs, float64 finite
// differences and tolerant comparisons.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";

/** A matrix as rows of float64 numbers. */
export type Matrix = number[][];

/** A seeded uniform generator on [0, 1) (mulberry32), so every test input is reproducible. */
export function seededUniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An [rows, cols] matrix of standard normal numbers (Box-Muller), scaled by `scale`. */
export function randomMatrix(seed: number, rows: number, cols: number, scale = 1): Matrix {
  const uniform = seededUniform(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => scale * normal()));
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
