import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { knnClassifier } from "./knn_classifier.ts";

tf.enableProdMode();

Deno.test("knnClassifier() weights votes by exp(cosine / t): a hand-computed vote", async () => {
  // Query q = (1, 0). Cosines: a = 0.995 (class 0), b = 0.196, c = 0.0995 (class 1), d = -1.
  const features = tf.tensor2d([[1, 0.1], [0.2, 1], [0.1, 1], [-1, 0]]);
  const labels = [0, 1, 1, 1];
  const query = tf.tensor2d([[1, 0]]);
  const cos = (x: number, y: number) => x / Math.hypot(x, y);
  // t = 0.1: class 0 gets exp(9.95) = 20952; class 1 gets exp(1.96) + exp(0.995) = 9.8.
  const score = (
    t: number,
  ) => [Math.exp(cos(1, 0.1) / t), Math.exp(cos(0.2, 1) / t) + Math.exp(cos(0.1, 1) / t)];
  assert.ok(score(0.1)[0] > score(0.1)[1]);
  assert.deepEqual([...await knnClassifier({ features, labels }, query, { k: 3 })], [0]);
  // t = 100: weights are all close to 1, so the two class-1 neighbours outvote class 0.
  assert.ok(score(100)[0] < score(100)[1]);
  assert.deepEqual([
    ...await knnClassifier({ features, labels }, query, { k: 3, temperature: 100 }),
  ], [1]);
  // k = 1 ignores the temperature.
  assert.deepEqual([
    ...await knnClassifier({ features, labels }, query, { k: 1, temperature: 100 }),
  ], [0]);
  tf.dispose([features, query]);
});

Deno.test("knnClassifier() is 100% right on separable clusters and uses cosine, not distance", async () => {
  // Class c lies along direction c at very different lengths: cosine ignores the length.
  const rows: number[][] = [];
  const labels: number[] = [];
  for (let c = 0; c < 3; c++) {
    for (let i = 1; i <= 10; i++) {
      const row = [0.05 * i, 0.05 * i, 0.05 * i];
      row[c] = i * 10;
      rows.push(row);
      labels.push(c);
    }
  }
  const features = tf.tensor2d(rows);
  const query = tf.tensor2d([[0.001, 0, 0], [0, 500, 0], [0, 0, 3]]);
  const predicted = await knnClassifier({ features, labels }, query, { k: 5 });
  assert.deepEqual([...predicted], [0, 1, 2]);
  tf.dispose([features, query]);
});

Deno.test("knnClassifier() gives the same answer for every chunk size and k above N", async () => {
  const train = tf.randomNormal([50, 6], 0, 1, "float32", 3) as tf.Tensor2D;
  const test = tf.randomNormal([17, 6], 0, 1, "float32", 4) as tf.Tensor2D;
  const labels = Array.from({ length: 50 }, (_, i) => i % 4);
  const whole = await knnClassifier({ features: train, labels }, test, { k: 7 });
  for (const chunkSize of [1, 5, 16, 17, 100]) {
    assert.deepEqual(
      await knnClassifier({ features: train, labels }, test, { k: 7, chunkSize }),
      whole,
    );
  }
  // With every neighbour voting at nearly equal weight the most frequent class wins.
  const skewed = labels.map((label, i) => (i < 20 ? 0 : label + 1)); // class 0: 20 of 50
  const all = await knnClassifier({ features: train, labels: skewed }, test, {
    k: 500,
    temperature: 1e6,
  });
  assert.deepEqual([...all], Array(17).fill(0));
  tf.dispose([train, test]);
});

Deno.test("knnClassifier() leaks no tensor and keeps its inputs", async () => {
  const train = tf.randomNormal([30, 4], 0, 1, "float32", 1) as tf.Tensor2D;
  const test = tf.randomNormal([9, 4], 0, 1, "float32", 2) as tf.Tensor2D;
  const before = tf.memory().numTensors;
  await knnClassifier({ features: train, labels: new Int32Array(30) }, test, { chunkSize: 4 });
  assert.equal(tf.memory().numTensors, before);
  assert.ok(!train.isDisposed && !test.isDisposed);
  tf.dispose([train, test]);
});

Deno.test("knnClassifier() rejects bad inputs and options, naming them", async () => {
  const train = tf.zeros([4, 3]) as tf.Tensor2D;
  const labels = [0, 1, 0, 1];
  await assert.rejects(
    knnClassifier({ features: train, labels }, tf.zeros([2, 2]) as tf.Tensor2D),
    /testFeatures must have 3 columns/,
  );
  await assert.rejects(
    knnClassifier({ features: tf.zeros([4]) as unknown as tf.Tensor2D, labels }, train),
    /train.features must be a rank-2 tensor \[N, D\], got \[4\]/,
  );
  await assert.rejects(
    knnClassifier({ features: train, labels: [0, 1] }, train),
    /train.labels.length must equal the number of rows 4, got 2/,
  );
  await assert.rejects(
    knnClassifier({ features: train, labels: [0, 1, 2, 0] }, train, { numClasses: 2 }),
    /train.labels\[2\]/,
  );
  await assert.rejects(
    knnClassifier({ features: train, labels }, train, { k: 0 }),
    /k must be a positive integer, got 0/,
  );
  await assert.rejects(
    knnClassifier({ features: train, labels }, train, { temperature: 0 }),
    /temperature must be a finite number > 0, got 0/,
  );
  await assert.rejects(
    knnClassifier({ features: train, labels }, train, { chunkSize: 1.5 }),
    /chunkSize/,
  );
  await assert.rejects(
    knnClassifier({ features: tf.zeros([0, 3]) as tf.Tensor2D, labels: [] }, train),
    /at least one row/,
  );
  tf.disposeVariables();
  tf.dispose(train);
});
