import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { linearProbe } from "./linear_probe.ts";

tf.enableProdMode();

// Deterministic Gaussian clusters: class c centred at 1.5 * e_c in 3-D, overlapping.
function clusters(n: number, seed: number): { x: number[][]; y: number[] } {
  let state = seed;
  const uniform = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32 + 1e-12;
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    x.push([0, 1, 2].map((j) => (j === c ? 1.5 : 0) + normal()));
    y.push(c);
  }
  return { x, y };
}

// Float64 reference: full-batch gradient descent to the optimum of
// mean cross-entropy + wd / 2 * |W|^2, returning W, b and the final mean cross-entropy.
function referenceFit(x: number[][], y: number[], classes: number, wd: number) {
  const d = x[0].length;
  const W = Array.from({ length: d }, () => new Array(classes).fill(0));
  const b = new Array(classes).fill(0);
  const probabilities = (row: number[]) => {
    const logits = b.map((bc, c) => bc + row.reduce((s, v, j) => s + v * W[j][c], 0));
    const max = Math.max(...logits);
    const e = logits.map((l) => Math.exp(l - max));
    const sum = e.reduce((s, v) => s + v, 0);
    return e.map((v) => v / sum);
  };
  for (let iteration = 0; iteration < 5000; iteration++) {
    const gW = W.map((r) => r.map((w) => wd * w));
    const gb = new Array(classes).fill(0);
    x.forEach((row, i) => {
      const p = probabilities(row);
      p.forEach((pc, c) => {
        const err = (pc - (y[i] === c ? 1 : 0)) / x.length;
        gb[c] += err;
        row.forEach((v, j) => (gW[j][c] += err * v));
      });
    });
    W.forEach((r, j) => r.forEach((_, c) => (W[j][c] -= 1 * gW[j][c])));
    b.forEach((_, c) => (b[c] -= 1 * gb[c]));
  }
  const loss = x.reduce((s, row, i) => s - Math.log(probabilities(row)[y[i]]), 0) / x.length;
  const predict = (row: number[]) => {
    const p = probabilities(row);
    return p.indexOf(Math.max(...p));
  };
  return { loss, predict };
}

Deno.test("linearProbe() converges to the float64 logistic-regression optimum", async () => {
  const train = clusters(60, 1);
  const test = clusters(30, 2);
  const reference = referenceFit(train.x, train.y, 3, 0.01);
  const trainFeatures = tf.tensor2d(train.x);
  const testFeatures = tf.tensor2d(test.x);
  const result = await linearProbe(
    { features: trainFeatures, labels: train.y },
    { features: testFeatures, labels: test.y },
    { normalize: "none", epochs: 300, batchSize: 60, learningRate: 0.5, weightDecay: 0.01 },
  );
  assert.ok(
    Math.abs(result.trainLoss - reference.loss) < 1e-3,
    `${result.trainLoss} vs ${reference.loss}`,
  );
  assert.deepEqual([...result.predictions], test.x.map(reference.predict));
  const expectedAccuracy = test.x.filter((row, i) => reference.predict(row) === test.y[i]).length /
    30;
  assert.equal(result.accuracy, expectedAccuracy);
  tf.dispose([trainFeatures, testFeatures]);
});

Deno.test("linearProbe() is 100% right on separable clusters, at every normalisation", async () => {
  // Three directions, so the classes stay separable after L2 normalisation too.
  const x = tf.tensor2d([[10, 0.5], [9, -0.5], [0.5, 9], [-0.5, 10], [-9, -10], [-10, -9]]);
  const labels = [0, 0, 1, 1, 2, 2];
  for (const normalize of ["standardize", "l2", "none"] as const) {
    const result = await linearProbe({ features: x, labels }, { features: x, labels }, {
      normalize,
      epochs: 100,
      batchSize: 3,
    });
    assert.equal(result.accuracy, 1, normalize);
    assert.equal(result.trainAccuracy, 1, normalize);
  }
  x.dispose();
});

Deno.test("linearProbe() with standardisation ignores feature scale and offset", async () => {
  const train = clusters(60, 3);
  const test = clusters(30, 4);
  const run = async (scale: number, shift: number) => {
    const a = tf.tensor2d(train.x.map((r) => r.map((v, j) => v * scale * (j + 1) + shift)));
    const b = tf.tensor2d(test.x.map((r) => r.map((v, j) => v * scale * (j + 1) + shift)));
    const result = await linearProbe({ features: a, labels: train.y }, {
      features: b,
      labels: test.y,
    }, {
      epochs: 10,
      batchSize: 8,
      seed: 5,
    });
    tf.dispose([a, b]);
    return result.predictions;
  };
  assert.deepEqual(await run(1000, -7), await run(1, 0));
});

Deno.test("linearProbe() is reproducible for a seed and leaks no tensor", async () => {
  const train = clusters(40, 5);
  const a = tf.tensor2d(train.x);
  const before = tf.memory().numTensors;
  const run = (seed: number) =>
    linearProbe({ features: a, labels: train.y }, { features: a, labels: train.y }, {
      epochs: 3,
      batchSize: 7,
      seed,
    });
  const first = await run(9);
  assert.deepEqual(await run(9), first);
  assert.equal(tf.memory().numTensors, before);
  assert.ok(!a.isDisposed);
  a.dispose();
});

Deno.test("linearProbe() rejects bad inputs and options, naming them", async () => {
  const x = tf.zeros([4, 2]) as tf.Tensor2D;
  const x3 = tf.zeros([4, 3]) as tf.Tensor2D;
  const good = { features: x, labels: [0, 1, 0, 1] };
  await assert.rejects(linearProbe(good, { features: x3, labels: [0, 1, 0, 1] }), {
    name: "RangeError",
    message: "linearProbe(): test.features must have 2 columns like train.features, got 3",
  });
  await assert.rejects(linearProbe(good, { features: x, labels: [0, 1, 2, 1] }), {
    name: "RangeError",
    message: "linearProbe(): test.labels[2] must be an integer in [0, 2), got 2",
  });
  await assert.rejects(linearProbe(good, good, { normalize: "max" as "l2" }), {
    name: "RangeError",
    message: 'linearProbe(): normalize must be one of "standardize", "l2", "none", got "max"',
  });
  await assert.rejects(linearProbe(good, good, { epochs: 0 }), {
    name: "RangeError",
    message: "linearProbe(): epochs must be an integer >= 1, got 0",
  });
  await assert.rejects(linearProbe(good, good, { learningRate: -1 }), {
    name: "RangeError",
    message: "linearProbe(): learningRate must be a finite number > 0, got -1",
  });
  await assert.rejects(linearProbe(good, good, { momentum: 1.5 }), {
    name: "RangeError",
    message: "linearProbe(): momentum must be a finite number in [0, 1], got 1.5",
  });
  await assert.rejects(
    linearProbe(good, good, { weightDecay: Number.NaN }),
    /^RangeError: linearProbe\(\): weightDecay must be a finite number >= 0, got NaN$/,
  );
  await assert.rejects(linearProbe(good, good, { seed: 0.5 }), {
    name: "RangeError",
    message: "linearProbe(): seed must be a safe integer, got 0.5",
  });
  await assert.rejects(linearProbe(good, good, { seed: "1" as never }), TypeError);
  const ints = tf.zeros([4, 2], "int32") as tf.Tensor2D;
  await assert.rejects(linearProbe({ features: ints, labels: [0, 1, 0, 1] }, good), {
    name: "TypeError",
    message: /^linearProbe\(\): train.features must be of dtype float32, got an int32 tensor/,
  });
  tf.dispose([x, x3, ints]);
});

Deno.test("linearProbe() accepts momentum 1, the top of optim's range [0, 1]", async () => {
  const x = tf.tensor2d([[0, 0], [0, 1], [5, 5], [5, 6]]);
  const labels = [0, 0, 1, 1];
  const result = await linearProbe({ features: x, labels }, { features: x, labels }, {
    momentum: 1,
    epochs: 3,
    batchSize: 2,
  });
  assert.equal(result.predictions.length, 4);
  x.dispose();
});

// Issue 15, item 3: a NaN feature gave trainLoss NaN and accuracy 0.5 with no error.
Deno.test("linearProbe() rejects NaN and infinite features unless told not to check", async () => {
  const x = tf.tensor2d([[0, 0], [0, 1], [5, NaN], [5, 6]]);
  const good = tf.tensor2d([[0, 0], [0, 1], [5, 5], [5, 6]]);
  const labels = [0, 0, 1, 1];
  await assert.rejects(linearProbe({ features: x, labels }, { features: good, labels }), {
    name: "RangeError",
    message: "linearProbe(): train.features must be a tensor of finite values, got a float32 " +
      "tensor of shape [4,2] holding NaN in row 2",
  });
  const inf = tf.tensor2d([[Infinity, 0], [0, 1], [5, 5], [5, 6]]);
  await assert.rejects(
    linearProbe({ features: good, labels }, { features: inf, labels }),
    /test.features must be a tensor of finite values, .* holding Infinity in row 0$/,
  );
  const unchecked = await linearProbe({ features: x, labels }, { features: good, labels }, {
    epochs: 1,
    checkValues: false,
  });
  assert.ok(Number.isNaN(unchecked.trainLoss));
  tf.dispose([x, good, inf]);
});

Deno.test("linearProbe() takes the Int32Array labels of @selfsup/data and large label values", async () => {
  const x = tf.tensor2d([[10, 0.5], [9, -0.5], [0.5, 9], [-0.5, 10]]);
  const small = await linearProbe(
    { features: x, labels: Int32Array.from([0, 0, 1, 1]) },
    { features: x, labels: Int32Array.from([0, 0, 1, 1]) },
    { epochs: 50, batchSize: 2 },
  );
  // The same problem with labels 3 and 4,000,000: one output per class present, so the same
  // training, the same answers under the other names, and no 4,000,001-wide layer.
  const large = await linearProbe(
    { features: x, labels: Int32Array.from([3, 3, 4_000_000, 4_000_000]) },
    { features: x, labels: [3, 3, 4_000_000, 3] },
    { epochs: 50, batchSize: 2 },
  );
  assert.deepEqual([...small.predictions], [0, 0, 1, 1]);
  assert.deepEqual([...large.predictions], [3, 3, 4_000_000, 4_000_000]);
  assert.equal(large.trainLoss, small.trainLoss);
  assert.equal(large.accuracy, 0.75);
  x.dispose();
});
