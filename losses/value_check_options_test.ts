import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { byolLoss, crossEntropy, distillationLoss, ntXent } from "@selfsup/losses";
import type { ValueCheckOptions } from "./value_check_options.ts";

tf.enableProdMode();

// Counts the reads from the backend (what stalls a GPU) made while `f` runs.
function readsDuring(f: () => void): number {
  const backend = tf.backend();
  const readSync = backend.readSync;
  const read = backend.read;
  let reads = 0;
  backend.readSync = (dataId) => {
    reads++;
    return readSync.call(backend, dataId);
  };
  backend.read = (dataId) => {
    reads++;
    return read.call(backend, dataId);
  };
  try {
    f();
  } finally {
    backend.readSync = readSync;
    backend.read = read;
  }
  return reads;
}

const x = tf.randomNormal([4, 6], 0, 1, "float32", 1);
const y = tf.randomNormal([4, 6], 0, 1, "float32", 2);
const labelTensor = tf.tensor1d([0, 5, 2, 1], "int32");
const losses: [string, (options: ValueCheckOptions) => tf.Scalar][] = [
  ["ntXent", (options) => ntXent(x, y, options)],
  ["byolLoss", (options) => byolLoss(x, y, options)],
  ["distillationLoss", (options) => distillationLoss(x, y, options)],
  ["crossEntropy with array labels", (options) => crossEntropy(x, [0, 5, 2, 1], options)],
  [
    "crossEntropy with Int32Array labels",
    (options) => crossEntropy(x, new Int32Array([0, 5, 2, 1]), options),
  ],
  ["crossEntropy with tensor labels", (options) => crossEntropy(x, labelTensor, options)],
];

Deno.test("every loss reads its inputs back exactly once by default and never with checkValues: false", () => {
  for (const [name, loss] of losses) {
    let checked = 0, unchecked = 0;
    const defaultReads = readsDuring(() => tf.dispose(loss({})));
    const checkedReads = readsDuring(() => tf.dispose(loss({ checkValues: true })));
    const uncheckedReads = readsDuring(() => tf.dispose(loss({ checkValues: false })));
    // The values agree: the check changes nothing but the read.
    tf.tidy(() => {
      checked = loss({}).dataSync()[0];
      unchecked = loss({ checkValues: false }).dataSync()[0];
    });
    assert.equal(defaultReads, 1, `${name}: default`);
    assert.equal(checkedReads, 1, `${name}: checkValues true`);
    assert.equal(uncheckedReads, 0, `${name}: checkValues false`);
    assert.equal(unchecked, checked, name);
  }
  assert.equal(losses.length, 6);
});

Deno.test("with checkValues: false a NaN reaches every loss instead of an error", () => {
  const nan = tf.tensor2d([[NaN, 1], [0, 1]]);
  const one = tf.ones([2, 2]);
  const cases: [string, (options: ValueCheckOptions) => tf.Scalar][] = [
    ["ntXent", (options) => ntXent(nan, one, options)],
    ["byolLoss", (options) => byolLoss(nan, one, options)],
    ["distillationLoss", (options) => distillationLoss(nan, one, options)],
    ["crossEntropy", (options) => crossEntropy(nan, new Int32Array([0, 1]), options)],
  ];
  for (const [name, loss] of cases) {
    assert.throws(() => tf.tidy(() => loss({})), RangeError, name);
    const value = tf.tidy(() => loss({ checkValues: false }).dataSync()[0]);
    assert.ok(Number.isNaN(value), `${name}: ${value}`);
  }
  assert.equal(cases.length, 4);
  tf.dispose([nan, one]);
});
