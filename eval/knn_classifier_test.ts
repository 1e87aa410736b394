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
  // Also when the value check finds a NaN.
  const nan = tf.fill([2, 4], NaN) as tf.Tensor2D;
  const withNan = tf.memory().numTensors;
  await assert.rejects(knnClassifier({ features: train, labels: new Int32Array(30) }, nan));
  assert.equal(tf.memory().numTensors, withNan);
  nan.dispose();
  assert.ok(!train.isDisposed && !test.isDisposed);
  tf.dispose([train, test]);
});

Deno.test("knnClassifier() rejects bad inputs and options, naming them", async () => {
  const train = tf.zeros([4, 3]) as tf.Tensor2D;
  const labels = [0, 1, 0, 1];
  await assert.rejects(
    knnClassifier({ features: train, labels }, tf.zeros([2, 2]) as tf.Tensor2D),
    {
      name: "RangeError",
      message: "knnClassifier(): testFeatures must have 3 columns like train.features, got 2",
    },
  );
  const flat = tf.zeros([4]);
  await assert.rejects(
    knnClassifier({ features: flat as unknown as tf.Tensor2D, labels }, train),
    {
      name: "TypeError",
      message: "knnClassifier(): train.features must be a rank-2 tensor [N, D], got a float32 " +
        "tensor of shape [4]",
    },
  );
  await assert.rejects(knnClassifier({ features: train, labels: [0, 1] }, train), {
    name: "RangeError",
    message: "knnClassifier(): train.labels.length must equal the number of rows 4, got 2",
  });
  await assert.rejects(
    knnClassifier({ features: train, labels: [0, 1, 2, 0] }, train, { numClasses: 2 }),
    {
      name: "RangeError",
      message: "knnClassifier(): train.labels[2] must be an integer in [0, 2), got 2",
    },
  );
  await assert.rejects(knnClassifier({ features: train, labels: "0101" as never }, train), {
    name: "TypeError",
    message: 'knnClassifier(): train.labels must be an array of integer labels, got "0101"',
  });
  await assert.rejects(knnClassifier({ features: train, labels }, train, { k: 0 }), {
    name: "RangeError",
    message: "knnClassifier(): k must be an integer >= 1, got 0",
  });
  await assert.rejects(knnClassifier({ features: train, labels }, train, { temperature: 0 }), {
    name: "RangeError",
    message: "knnClassifier(): temperature must be a finite number > 0, got 0",
  });
  await assert.rejects(
    knnClassifier({ features: train, labels }, train, { chunkSize: 1.5 }),
    /^RangeError: knnClassifier\(\): chunkSize must be an integer >= 1, got 1.5$/,
  );
  await assert.rejects(
    knnClassifier({ features: train, labels }, train, { checkValues: 1 as never }),
    /^TypeError: knnClassifier\(\): checkValues must be a boolean, got 1$/,
  );
  const empty = tf.zeros([0, 3]) as tf.Tensor2D;
  await assert.rejects(knnClassifier({ features: empty, labels: [] }, train), {
    name: "RangeError",
    message: "knnClassifier(): train.features must have at least one row, got 0",
  });
  tf.dispose([train, flat, empty]);
});

// Issue 15, item 9: tfjs said "Argument 'x' passed to 'sqrt' must be float32".
Deno.test("knnClassifier() names int32 features instead of failing inside tfjs", async () => {
  const ints = tf.tensor2d([[1, 0], [0, 1]], [2, 2], "int32");
  const floats = tf.tensor2d([[1, 0], [0, 1]]);
  await assert.rejects(knnClassifier({ features: ints, labels: [0, 1] }, floats), {
    name: "TypeError",
    message: "knnClassifier(): train.features must be of dtype float32, got an int32 tensor of " +
      "shape [2,2]",
  });
  await assert.rejects(knnClassifier({ features: floats, labels: [0, 1] }, ints), {
    name: "TypeError",
    message: /^knnClassifier\(\): testFeatures must be of dtype float32/,
  });
  tf.dispose([ints, floats]);
});

// Issue 15, item 1: exp(similarity / t) overflowed float32 at t <= 0.011 and gave [0, 0].
Deno.test("knnClassifier() stays right at low temperatures (no exp overflow)", async () => {
  const features = tf.tensor2d([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]]);
  const queries = tf.tensor2d([[1, 0.05], [0.05, 1]]);
  const labels = [0, 0, 1, 1];
  for (const temperature of [0.011, 0.01, 0.001, 1e-6, 1e-30]) {
    const predicted = await knnClassifier({ features, labels }, queries, { k: 2, temperature });
    assert.deepEqual([...predicted], [0, 1], `temperature ${temperature}`);
  }
  // At a low temperature the nearest neighbour decides even against a majority.
  const majority = tf.tensor2d([[1, 0], [0.6, 0.8], [0.6, 0.8], [0.6, 0.8]]);
  const q = tf.tensor2d([[1, 0.1]]);
  const vote = (temperature: number) =>
    knnClassifier({ features: majority, labels: [0, 1, 1, 1] }, q, { k: 4, temperature });
  assert.deepEqual([...await vote(0.001)], [0]);
  assert.deepEqual([...await vote(100)], [1]);
  tf.dispose([features, queries, majority, q]);
});

// Issue 15, item 3: a NaN training row flipped a prediction, a NaN query was class 0.
Deno.test("knnClassifier() rejects NaN and infinite features unless told not to check", async () => {
  const good = tf.tensor2d([[1, 0], [0, 1], [1, 0.1]]);
  const nanRow = tf.tensor2d([[1, 0], [NaN, 1], [1, 0.1]]);
  const infQuery = tf.tensor2d([[1, 0], [0, -Infinity]]);
  await assert.rejects(knnClassifier({ features: nanRow, labels: [0, 1, 0] }, good), {
    name: "RangeError",
    message: "knnClassifier(): train.features must be a tensor of finite values, got a float32 " +
      "tensor of shape [3,2] holding NaN in row 1",
  });
  await assert.rejects(knnClassifier({ features: good, labels: [0, 1, 0] }, infQuery), {
    name: "RangeError",
    message: /testFeatures must be a tensor of finite values, .* holding -Infinity in row 1$/,
  });
  const unchecked = await knnClassifier({ features: good, labels: [0, 1, 0] }, infQuery, {
    checkValues: false,
  });
  assert.equal(unchecked.length, 2);
  tf.dispose([good, nanRow, infQuery]);
});

Deno.test("knnClassifier() normalises rows of huge finite values without overflow", async () => {
  // Norms near 1e20 square past float32's largest value.
  const features = tf.tensor2d([[1e20, 0], [0, 1e20], [3e20, 1e19]]);
  const queries = tf.tensor2d([[2e20, 1e18], [1e18, 2e20]]);
  const predicted = await knnClassifier({ features, labels: [0, 1, 0] }, queries, { k: 1 });
  assert.deepEqual([...predicted], [0, 1]);
  tf.dispose([features, queries]);
});

// Issue 15, item 10: the one-hot depth followed the largest label (5,000,000: 595 MB, 5.2 s).
Deno.test("knnClassifier() answers with the labels given, however large, and checks numClasses", async () => {
  const features = tf.tensor2d([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]]);
  const queries = tf.tensor2d([[1, 0.2], [0.2, 1]]);
  const labels = Int32Array.from([7, 7, 5_000_000, 5_000_000]); // as @selfsup/data yields them
  const predicted = await knnClassifier({ features, labels }, queries, { k: 2 });
  assert.deepEqual([...predicted], [7, 5_000_000]);
  await assert.rejects(
    knnClassifier({ features, labels }, queries, { numClasses: 10 }),
    /^RangeError: knnClassifier\(\): train.labels\[2\] must be an integer in \[0, 10\), got 5000000$/,
  );
  tf.dispose([features, queries]);
});
