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

Deno.test("metrics take the Int32Array labels of @selfsup/data", () => {
  const labels = Int32Array.from([0, 1, 1, 2]);
  assert.equal(accuracy(Int32Array.from([0, 1, 2, 2]), labels), 0.75);
  assert.deepEqual(confusionMatrix(new Int32Array(4), labels), [[1, 0, 0], [2, 0, 0], [1, 0, 0]]);
});

Deno.test("metrics reject mismatched lengths and bad values, naming them", () => {
  assert.throws(() => accuracy([0, 1], [0]), {
    name: "RangeError",
    message: "accuracy(): predictions.length must equal the number of rows 1, got 2",
  });
  assert.throws(() => accuracy([0, -1], [0, 1]), {
    name: "RangeError",
    message: "accuracy(): predictions[1] must be an integer in [0, 2147483647), got -1",
  });
  assert.throws(() => accuracy([0], "0" as never), {
    name: "TypeError",
    message: 'accuracy(): labels must be an array of integer labels, got "0"',
  });
  assert.throws(() => confusionMatrix([0, 2], [0, 1], 2), {
    name: "RangeError",
    message: "confusionMatrix(): predictions[1] must be an integer in [0, 2), got 2",
  });
  assert.throws(() => confusionMatrix([0], [0], 0), {
    name: "RangeError",
    message: "confusionMatrix(): numClasses must be an integer >= 1, got 0",
  });
});

Deno.test("confusionMatrix() refuses a class count that would make a matrix out of proportion", () => {
  const before = Deno.memoryUsage().rss;
  assert.throws(() => confusionMatrix([0, 1], [5_000_000, 0]), {
    name: "RangeError",
    message: "confusionMatrix(): labels and predictions must be of at most 2048 classes (one " +
      "count per pair of classes), as many as the largest value + 1, got 5000001",
  });
  assert.throws(() => confusionMatrix([0], [0], 100_000), {
    name: "RangeError",
    message: "confusionMatrix(): numClasses must be at most 2048 (one count per pair of " +
      "classes), got 100000",
  });
  assert.ok(Deno.memoryUsage().rss - before < 64 * 2 ** 20, "no large allocation");
  assert.equal(confusionMatrix([2047], [0]).length, 2048);
});
