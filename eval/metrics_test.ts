import assert from "node:assert/strict";
import { accuracy, confusionMatrix } from "./metrics.ts";

Deno.test("accuracy() is the share of exact matches", () => {
  assert.equal(accuracy([1, 2, 3, 4], [1, 2, 0, 0]), 0.5);
  assert.equal(accuracy(new Int32Array([0]), [0]), 1);
  assert.ok(Number.isNaN(accuracy([], [])));
});

Deno.test("confusionMatrix() counts true class by predicted class", () => {
  const labels = [0, 0, 0, 1, 1, 2];
  const predicted = [0, 1, 0, 1, 1, 0];
  assert.deepEqual(confusionMatrix(predicted, labels), [[2, 1, 0], [0, 2, 0], [1, 0, 0]]);
  assert.deepEqual(confusionMatrix([3], [0]), [[0, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0], [
    0,
    0,
    0,
    0,
  ]]);
  assert.deepEqual(confusionMatrix([0], [0], 2), [[1, 0], [0, 0]]);
});

Deno.test("metrics reject mismatched lengths and bad values, naming them", () => {
  assert.throws(
    () => accuracy([0, 1], [0]),
    /predictions.length must equal the number of rows 1, got 2/,
  );
  assert.throws(() => accuracy([0, -1], [0, 1]), /predictions\[1\] must be an integer/);
  assert.throws(
    () => confusionMatrix([0, 2], [0, 1], 2),
    /predictions\[1\] must be an integer in \[0, 2\), got 2/,
  );
  assert.throws(() => confusionMatrix([0], [0], 0), /labels\[0\] must be an integer in \[0, 0\)/);
});
