import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { type Dataset, fromArrays, selectImages } from "@selfsup/data";
import { loadFashionMnist } from "@selfsup/data/files";
import { batchNormalization, smallConvNet } from "@selfsup/encoders";
import { embed, evaluateEncoder, evaluatePixels, knnMonitor } from "./evaluate.ts";

tf.enableProdMode();

// An encoder whose features are the pixels in [0, 1], flattened.
function flattening(shape: [number, number, number]): tf.LayersModel {
  const input = tf.input({ shape });
  return tf.model({
    inputs: input,
    outputs: tf.layers.flatten().apply(input) as tf.SymbolicTensor,
  });
}

// Images of 1x2 pixels: each is a 2-d feature vector.
function pairs(values: number[][], labels: number[]): Dataset {
  return fromArrays(Uint8Array.from(values.flat()), [values.length, 1, 2, 1], { labels });
}

// The bank and queries of the hand-computed case. Cosine similarities (scale-free, so the
// uint8 values are used as they are; |(255, 128)| = |(128, 255)| = 285.32):
//   q1 (255, 0):   a 1, b1 = b2 255 / 285.32 = 0.8937, far 0
//   q2 (0, 255):   far 1, b1 = b2 128 / 285.32 = 0.4486, a 0
//   q3 (128, 255): far 0.8937, b1 = b2 65280 / 81409 = 0.8019, a 0.4486
// Votes exp(s / t) of the k = 3 nearest:
//   t = 0.1: q1 class 0 e^10 = 22026 vs class 1 2 e^8.937 = 15218 -> 0 (right)
//            q2 class 0 e^10 vs class 1 2 e^4.486 = 176 -> 0 (right)
//            q3 class 0 e^8.937 = 7609 vs class 1 2 e^8.019 = 6076 -> 0 (wrong)   => 2/3
//   t = 1:   q1 e^1 = 2.718 vs 2 e^0.8937 = 4.888 -> 1 (wrong)
//            q2 e^1 = 2.718 vs 2 e^0.4486 = 3.132 -> 1 (wrong)
//            q3 e^0.8937 = 2.444 vs 2 e^0.8019 = 4.459 -> 1 (right)            => 1/3
//   k = 1:   the nearest alone: a, far, far -> 0, 0, 0                        => 2/3
// A plain majority of the three would give class 1 everywhere: 1/3 at any temperature.
const bank = pairs([[255, 0], [255, 128], [255, 128], [0, 255]], [0, 1, 1, 0]);
const queries = pairs([[255, 0], [0, 255], [128, 255]], [0, 0, 1]);

Deno.test("knnMonitor() and evaluateEncoder() match a hand-computed weighted kNN", async () => {
  const encoder = flattening([1, 2, 1]);
  try {
    const before = tf.memory().numTensors;
    assert.equal(await knnMonitor(encoder, bank, queries, { k: 3 }), 2 / 3);
    assert.equal(await knnMonitor(encoder, bank, queries, { k: 3, temperature: 1 }), 1 / 3);
    assert.equal(await knnMonitor(encoder, bank, queries, { k: 1, temperature: 1 }), 2 / 3);
    const seed = 0;
    const hot = await evaluateEncoder(encoder, bank, queries, { k: 3, seed, probeEpochs: 1 });
    const warm = await evaluatePixels(bank, queries, { k: 3, temperature: 1, seed });
    assert.equal(hot.knnAccuracy, 2 / 3);
    assert.equal(warm.knnAccuracy, 1 / 3);
    assert.equal(hot.featureDim, 2);
    assert.equal(tf.memory().numTensors, before);
  } finally {
    encoder.dispose();
  }
});

// Float64 reference of the InstDisc weighted kNN: cosine similarity, the k most similar,
// votes exp(s / t), the largest total wins (ties to the smaller class).
function referenceKnn(
  train: Dataset,
  test: Dataset,
  k: number,
  t: number,
): number {
  const d = train.shape[1] * train.shape[2] * train.shape[3];
  const unit = (ds: Dataset, i: number) => {
    const v = Array.from(ds.images.subarray(i * d, (i + 1) * d), (x) => x / 255);
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  };
  const bankRows = Array.from({ length: train.shape[0] }, (_, i) => unit(train, i));
  let correct = 0;
  for (let q = 0; q < test.shape[0]; q++) {
    const query = unit(test, q);
    const sims = bankRows.map((row, i) => ({
      s: row.reduce((sum, x, j) => sum + x * query[j], 0),
      label: train.labels![i],
    }));
    sims.sort((a, b) => b.s - a.s);
    const votes = new Map<number, number>();
    for (const { s, label } of sims.slice(0, k)) {
      votes.set(label, (votes.get(label) ?? 0) + Math.exp(s / t));
    }
    const winner = [...votes].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0][0];
    if (winner === test.labels![q]) correct++;
  }
  return correct / test.shape[0];
}

// The first n images of Fashion-MNIST's interleaved classes: n / 10 of each.
let fashion: Promise<Dataset> | undefined;
async function fashionPrefix(start: number, n: number): Promise<Dataset> {
  const all = await (fashion ??= loadFashionMnist({ split: "all" }));
  return selectImages(all, Int32Array.from({ length: n }, (_, i) => start + i));
}

Deno.test("evaluatePixels() on a Fashion-MNIST subset: kNN equals a float64 reference", async () => {
  const train = await fashionPrefix(0, 300);
  const test = await fashionPrefix(60000, 100);
  let count = 0;
  for (const [k, t] of [[20, 0.1], [5, 0.5]]) {
    const result = await evaluatePixels(train, test, {
      k,
      temperature: t,
      seed: 1,
      probeEpochs: 1,
    });
    assert.equal(result.knnAccuracy, referenceKnn(train, test, k, t), `k ${k}, t ${t}`);
    count++;
    if (k !== 20) continue;
    // A flattening encoder sees the same features, so every figure is the same.
    const encoder = flattening([28, 28, 1]);
    try {
      const viaEncoder = await evaluateEncoder(encoder, train, test, {
        k,
        temperature: t,
        seed: 1,
        probeEpochs: 1,
        batchSize: 64,
      });
      assert.deepEqual(viaEncoder, result);
    } finally {
      encoder.dispose();
    }
  }
  assert.equal(count, 2);
});

Deno.test("evaluatePixels() on Fashion-MNIST subsets beats chance by a wide margin", async () => {
  const bigTrain = await fashionPrefix(0, 1000);
  const bigTest = await fashionPrefix(60000, 200);
  const pixels = await evaluatePixels(bigTrain, bigTest, { seed: 0, probeEpochs: 5 });
  // Chance is 0.1; raw pixels give about 0.67 (kNN, k = 200 of a bank of 1,000) and 0.8
  // (probe) on subsets of this size.
  assert.ok(pixels.knnAccuracy > 0.6, `kNN ${pixels.knnAccuracy}`);
  assert.ok(pixels.linearProbeAccuracy > 0.7, `probe ${pixels.linearProbeAccuracy}`);
  assert.equal(pixels.featureDim, 784);
});

// input [2, 2, 1] -> flatten [4] -> the encoders' batch norm with known moving statistics.
function batchNormEncoder(): { model: tf.LayersModel; stats: number[][] } {
  const input = tf.input({ shape: [2, 2, 1] });
  const flat = tf.layers.flatten().apply(input) as tf.SymbolicTensor;
  const bn = batchNormalization({ epsilon: 1e-3 });
  const model = tf.model({ inputs: input, outputs: bn.apply(flat) as tf.SymbolicTensor });
  const stats = [
    [2, 0.5, 1, -1], // gamma
    [0.1, 0, -0.2, 0.3], // beta
    [0.5, 0.25, 0.75, 0], // moving mean
    [0.04, 1, 0.25, 2], // moving variance
  ];
  bn.setWeights(stats.map((v) => tf.tensor1d(v)));
  return { model, stats };
}

const readWeights = (model: tf.LayersModel) => model.getWeights().map((w) => [...w.dataSync()]);

Deno.test("the encoder runs in inference mode: moving statistics used and left unchanged", async () => {
  const { model, stats } = batchNormEncoder();
  const [gamma, beta, mean, variance] = stats;
  const images = fromArrays(
    Uint8Array.from([0, 51, 102, 255, 255, 204, 153, 0, 26, 77, 128, 179]),
    [3, 2, 2, 1],
    { labels: [0, 1, 0] },
  );
  try {
    const weights = readWeights(model);
    const features = await embed(model, images);
    // By hand: gamma * (x - mean) / sqrt(var + eps) + beta, x = pixel / 255.
    const expected = [...images.images].map((p, i) =>
      gamma[i % 4] * (p / 255 - mean[i % 4]) / Math.sqrt(variance[i % 4] + 1e-3) + beta[i % 4]
    );
    assert.equal(features.length, 12);
    features.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-5, `feature ${i}`));
    await knnMonitor(model, images, images, { k: 2 });
    await evaluateEncoder(model, images, images, { k: 2, seed: 0, probeEpochs: 1 });
    assert.deepEqual(readWeights(model), weights);

    // The checks above can fail: training mode normalises with the batch's statistics and
    // moves the moving statistics.
    const x = tf.tensor4d(images.images, [3, 2, 2, 1], "float32").div(255);
    const trained = model.apply(x, { training: true }) as tf.Tensor;
    const values = [...trained.dataSync()];
    assert.ok(values.some((v, i) => Math.abs(v - expected[i]) > 0.1));
    assert.notDeepEqual(readWeights(model), weights);
    tf.dispose([x, trained]);
  } finally {
    model.dispose();
  }
});

Deno.test("embed() gives the encoder's inference features, row-major", async () => {
  const encoder = smallConvNet({ inputShape: [6, 6, 1], filters: [3, 5], seed: 4 });
  const images = fromArrays(Uint8Array.from({ length: 7 * 36 }, (_, i) => (i * 37) % 256), [
    7,
    6,
    6,
    1,
  ]);
  try {
    const features = await embed(encoder, images, { batchSize: 3 });
    const x = tf.tensor4d(images.images, [7, 6, 6, 1], "float32").div(255);
    const predicted = encoder.predict(x) as tf.Tensor;
    assert.deepEqual(predicted.shape, [7, 5]);
    const want = predicted.dataSync();
    assert.equal(features.length, 35);
    features.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-5, `feature ${i}`));
    tf.dispose([x, predicted]);
  } finally {
    encoder.dispose();
  }
});

Deno.test("evaluation functions reject bad arguments, naming the function and the argument", async () => {
  const encoder = flattening([1, 2, 1]);
  const unlabelled = fromArrays(new Uint8Array(4), [2, 1, 2, 1]);
  const other = fromArrays(new Uint8Array(4), [1, 2, 2, 1], { labels: [0] });
  const empty = fromArrays(new Uint8Array(0), [0, 1, 2, 1], { labels: [] });
  try {
    await assert.rejects(evaluateEncoder({} as tf.LayersModel, bank, queries, { seed: 0 }), {
      name: "TypeError",
      message: "evaluateEncoder(): encoder must be a tf.LayersModel, got an object",
    });
    await assert.rejects(evaluatePixels(bank, unlabelled, { seed: 0 }), {
      name: "TypeError",
      message: /^evaluatePixels\(\): test must be a labelled dataset of @selfsup\/data, got /,
    });
    await assert.rejects(knnMonitor(encoder, bank, other), {
      name: "RangeError",
      message: "knnMonitor(): queries must have images of the shape of bank's [1, 2, 1], " +
        "got [2, 2, 1]",
    });
    await assert.rejects(knnMonitor(encoder, empty, queries), {
      name: "RangeError",
      message: "knnMonitor(): bank must hold at least one image, got 0",
    });
    await assert.rejects(evaluatePixels(bank, queries, { seed: 0, k: 0 }), {
      name: "RangeError",
      message: "evaluatePixels(): k must be an integer >= 1, got 0",
    });
    await assert.rejects(evaluatePixels(bank, queries, { seed: 0.5 }), {
      name: "RangeError",
      message: "evaluatePixels(): seed must be a safe integer, got 0.5",
    });
    await assert.rejects(embed(encoder, unlabelled, { batchSize: 0 }), {
      name: "RangeError",
      message: "embed(): batchSize must be an integer >= 1, got 0",
    });
    // An encoder that gives NaN is named, never evaluated.
    const input = tf.input({ shape: [1, 2, 1] });
    const flat = tf.layers.flatten().apply(input) as tf.SymbolicTensor;
    const broken = tf.model({
      inputs: input,
      outputs: tf.layers.dense({
        units: 1,
        kernelInitializer: "zeros",
        biasInitializer: tf.initializers.constant({ value: Number.NaN }),
      }).apply(flat) as tf.SymbolicTensor,
    });
    await assert.rejects(knnMonitor(broken, bank, queries), {
      name: "RangeError",
      message: "knnMonitor(): encoder must give finite features, got NaN for image 0",
    });
    broken.dispose();
  } finally {
    encoder.dispose();
  }
});
