import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { fromArrays } from "@selfsup/data";
import { crossEntropy } from "@selfsup/losses";
import { fineTuneLearner, type FineTuneLearnerOptions } from "./fine_tune_learner.ts";
import { convEncoder, head3, images, maxDifference, sameBits, snapshot } from "./_testing.ts";

tf.enableProdMode();

const LABELS = [0, 1, 2, 0, 1, 2];

function build(options: Partial<FineTuneLearnerOptions> = {}) {
  const encoder = convEncoder(1);
  const head = head3(4, 2);
  const learner = fineTuneLearner({
    encoder,
    head,
    numClasses: 3,
    seed: 7,
    batchSize: 6,
    totalSteps: 100,
    ...options,
  });
  const dispose = () => {
    learner.dispose();
    learner.model.dispose();
    encoder.dispose();
    head.dispose();
  };
  return { encoder, head, learner, dispose };
}

Deno.test("fineTuneLearner() starts from exactly the pretrained weights and trains them", async () => {
  const encoder = convEncoder(1);
  const head = head3(4, 2);
  // Move the weights away from their initial values, as pretraining would.
  for (const w of [...encoder.weights, ...head.weights]) {
    const moved = tf.tidy(() => tf.add(w.read(), tf.randomUniform(w.shape as number[], 0.1, 0.2)));
    w.write(moved);
    moved.dispose();
  }
  const pretrained = snapshot(encoder, head);
  const learner = fineTuneLearner({ encoder, head, numClasses: 3, seed: 7, learningRate: 0.05 });
  assert.ok(sameBits(snapshot(encoder, head), pretrained), "no re-initialisation");
  const inModel = new Set(learner.model.weights.map((w) => w.read()));
  assert.ok(encoder.weights.every((w) => inModel.has(w.read())), "the encoder is shared");

  const x = images(6);
  await learner.step(x, { labels: LABELS });
  const after = snapshot(encoder, head);
  // The encoder and head layer 1 moved; layers 2 and 3 (not in the model) did not.
  const layerOf = [
    ...encoder.weights.map(() => "encoder"),
    ...head.weights.map((w) => head.layers.find((l) => l.weights.includes(w))!.name.slice(0, 6)),
  ];
  let moved = 0;
  layerOf.forEach((layer, i) => {
    const same = sameBits([after[i]], [pretrained[i]]);
    if (layer === "layer2" || layer === "layer3") assert.ok(same, `${layer} unchanged`);
    else if (!same) moved++;
  });
  assert.ok(moved >= encoder.weights.length, `${moved} encoder and layer-1 weights moved`);
  x.dispose();
  learner.dispose();
  learner.model.dispose();
  encoder.dispose();
  head.dispose();
});

Deno.test("FineTuneLearner.step() minimises the cross-entropy of the network on the crops", async () => {
  // Images symmetric left-right and a crop of the whole image: the view is the image itself.
  const half = tf.randomUniform([6, 8, 4, 1], 0, 1, "float32", 3);
  const x = tf.concat([half, tf.reverse(half, 2)], 2) as tf.Tensor4D;
  const { learner, dispose } = build({
    cropScale: [1, 1],
    learningRate: 0.5,
    optimizer: tf.train.sgd(1),
    batchSize: undefined,
    totalSteps: undefined,
  });
  const expected = tf.tidy(() => {
    const logits = learner.model.apply(x, { training: true }) as tf.Tensor2D;
    return crossEntropy(logits, LABELS).dataSync()[0];
  });
  const first = await learner.step(x, { labels: new Int32Array(LABELS) });
  assert.ok(Math.abs(first.loss - expected) < 1e-5, `${first.loss} vs ${expected}`);
  assert.equal(first.learningRate, 0.5);
  assert.ok(first.accuracy >= 0 && first.accuracy <= 1);
  let last = first;
  for (let i = 0; i < 20; i++) last = await learner.step(x, { labels: LABELS });
  assert.ok(last.loss < first.loss / 2, `loss ${first.loss} -> ${last.loss}`);
  assert.ok(last.accuracy > first.accuracy, `accuracy ${first.accuracy} -> ${last.accuracy}`);
  tf.dispose([half, x]);
  dispose();
});

Deno.test("FineTuneLearner uses SimCLRv2's schedule and LARS without the linear layer's trust ratio", async () => {
  const { learner, dispose } = build({ batchSize: 16, totalSteps: 10 });
  const base = 0.005 * 4; // 0.005 * sqrt(16)
  const x = images(6);
  const rates = [];
  for (const step of [0, 5, 10]) {
    rates.push((await learner.step(x, { labels: LABELS, step })).learningRate);
  }
  assert.equal(rates[0], base); // no warmup
  assert.ok(Math.abs(rates[1] - base / 2) < 1e-12);
  assert.equal(rates[2], 0);
  const optimizer = learner.optimizer as unknown as {
    isExcluded(name: string): boolean;
    getConfig(): unknown;
  };
  const linear = learner.model.layers[learner.model.layers.length - 1];
  for (const w of linear.weights) assert.ok(optimizer.isExcluded((w.read() as tf.Variable).name));
  const conv = learner.encoder.weights.find((w) => w.name.startsWith("stage1_conv/kernel"))!;
  assert.ok(!optimizer.isExcluded((conv.read() as tf.Variable).name));
  assert.equal(learner.optimizer.getClassName(), "LARSOptimizer");
  x.dispose();
  dispose();
});

Deno.test("FineTuneLearner.step() takes a labelled uint8 Dataset", async () => {
  const { learner, dispose } = build({
    learningRate: 0.1,
    batchSize: undefined,
    totalSteps: undefined,
  });
  const pixels = new Uint8Array(6 * 64).map((_, i) => (i * 37) % 256);
  const batch = fromArrays(pixels, [6, 8, 8, 1], { labels: LABELS });
  const result = await learner.step(batch);
  assert.ok(Number.isFinite(result.loss));
  assert.equal(learner.steps, 1);
  // Labels as a tensor stay the caller's.
  const labels = tf.tensor1d(LABELS, "int32");
  await learner.step(batch, { labels });
  assert.ok(!labels.isDisposed);
  labels.dispose();
  dispose();
});

Deno.test("FineTuneLearner keeps tf.memory() flat from step 2 to step 200", async () => {
  const { learner, dispose } = build();
  const x = images(6);
  const counts: number[] = [];
  for (let i = 1; i <= 200; i++) {
    await learner.step(x, { labels: LABELS });
    if (i === 2 || i === 200) counts.push(tf.memory().numTensors);
  }
  assert.equal(counts.length, 2);
  assert.equal(counts[1], counts[0]);
  x.dispose();
  dispose();
});

Deno.test("FineTuneLearner state restores into a fresh learner and continues bit-identically", async () => {
  const x = images(6);
  const a = build();
  for (let i = 0; i < 3; i++) await a.learner.step(x, { labels: LABELS });
  const state = structuredClone(await a.learner.getState());
  assert.equal(state.method, "finetune");
  assert.equal(state.step, 3);
  const lossesA = [];
  for (let i = 0; i < 3; i++) lossesA.push((await a.learner.step(x, { labels: LABELS })).loss);

  // Different initial weights: everything must come from the state.
  const encoder = convEncoder(11);
  const head = head3(4, 12);
  const b = fineTuneLearner({
    encoder,
    head,
    numClasses: 3,
    seed: 7,
    batchSize: 6,
    totalSteps: 100,
  });
  await b.setState(state);
  assert.equal(b.steps, 3);
  const lossesB = [];
  for (let i = 0; i < 3; i++) lossesB.push((await b.step(x, { labels: LABELS })).loss);
  assert.deepEqual(lossesB, lossesA);
  assert.ok(sameBits(snapshot(b.model), snapshot(a.learner.model)));
  x.dispose();
  a.dispose();
  b.dispose();
  b.model.dispose();
  encoder.dispose();
  head.dispose();
});

Deno.test("fineTuneLearner() refuses bad options, naming them", () => {
  const encoder = convEncoder(1);
  const head = head3(4, 2);
  const base = { encoder, head, numClasses: 3, seed: 7, learningRate: 0.1 };
  const cases: [Record<string, unknown>, string, string][] = [
    [{ k: 4 }, "RangeError", "fineTuneLearner(): k must be an integer in [0, 3], got 4"],
    [{ k: -1 }, "RangeError", "fineTuneLearner(): k must be an integer in [0, 3], got -1"],
    [{ seed: 1.5 }, "RangeError", "fineTuneLearner(): seed must be a safe integer, got 1.5"],
    [
      { numClasses: 1 },
      "RangeError",
      "fineTuneLearner(): numClasses must be an integer >= 2, got 1",
    ],
    [
      { batchSize: 8 },
      "TypeError",
      "fineTuneLearner(): batchSize must be omitted when learningRate or optimizer is given " +
      "(it shapes only the default schedule), got 8",
    ],
    [
      { learningRate: undefined, totalSteps: 10 },
      "TypeError",
      "fineTuneLearner(): batchSize must be an integer >= 1 (the default learning-rate " +
      "schedule needs it; or pass learningRate), got undefined",
    ],
    [
      { learningRate: -1 },
      "RangeError",
      "fineTuneLearner(): learningRate must be a finite number >= 0, got -1",
    ],
    [
      { cropScale: [0.5, 0.2] },
      "RangeError",
      "fineTuneLearner(): cropScale must be [low, high] with 0 < low <= high <= 1, got [0.5, 0.2]",
    ],
    [
      { optimizer: "sgd" },
      "TypeError",
      'fineTuneLearner(): optimizer must be a tf.Optimizer, got "sgd"',
    ],
    [
      { lr: 0.1 },
      "TypeError",
      "fineTuneLearner(): options must have only the keys encoder, head, k, numClasses, seed, " +
      'optimizer, learningRate, batchSize, totalSteps, warmupSteps, cropScale, checkValues, got key "lr"',
    ],
  ];
  const before = tf.memory().numTensors;
  for (const [change, name, message] of cases) {
    assert.throws(() => fineTuneLearner({ ...base, ...change } as never), { name, message });
  }
  assert.equal(tf.memory().numTensors, before, "a refused call builds nothing");
  encoder.dispose();
  head.dispose();
});

Deno.test("FineTuneLearner.step() refuses bad input, naming it, and changes nothing", async () => {
  const { learner, dispose } = build({
    learningRate: 0.1,
    batchSize: undefined,
    totalSteps: undefined,
  });
  const x = images(6);
  await learner.step(x, { labels: LABELS });
  const before = snapshot(learner.model);
  const outside = tf.add(x, 1) as tf.Tensor4D;
  const [low, high] = [outside.min().dataSync()[0], outside.max().dataSync()[0]];
  const one = images(1);
  const big = images(6, 9);
  const fn = "FineTuneLearner.step()";
  const cases: [tf.Tensor | unknown, Record<string, unknown>, string, string][] = [
    [
      x,
      { labels: [0, 1, 2] },
      "RangeError",
      `${fn}: labels must be 6 integer labels in [0, 3), one per image, got 3 labels`,
    ],
    [
      x,
      { labels: [0, 1, 2, 0, 1, 3] },
      "RangeError",
      `${fn}: labels[5] must be an integer in [0, 3), got 3`,
    ],
    [
      x,
      {},
      "TypeError",
      `${fn}: labels must be given (or carried by the Dataset given as images), got undefined`,
    ],
    [
      outside,
      { labels: LABELS },
      "RangeError",
      `${fn}: images must be values in [0, 1], got values in [${low}, ${high}]`,
    ],
    [
      one,
      { labels: [0] },
      "RangeError",
      `${fn}: images must be a batch of at least 2 images, got [1, 8, 8, 1]`,
    ],
    [
      big,
      { labels: LABELS },
      "RangeError",
      `${fn}: images must be images of shape [N, 8, 8, 1] (the model's input), got [6, 9, 9, 1]`,
    ],
    [
      tf.zeros([6, 64]),
      { labels: LABELS },
      "TypeError",
      `${fn}: images must be a rank-4 tensor [N, 8, 8, 1], got a float32 tensor of shape [6,64]`,
    ],
    [x, { labels: LABELS, step: -1 }, "RangeError", `${fn}: step must be an integer >= 0, got -1`],
    [
      x,
      { labels: LABELS, seed: 1 },
      "TypeError",
      `${fn}: options must have only the keys labels, step, got key "seed"`,
    ],
  ];
  for (const [images_, options, name, message] of cases) {
    await assert.rejects(learner.step(images_ as tf.Tensor4D, options), { name, message });
  }
  assert.equal(learner.steps, 1);
  assert.ok(sameBits(snapshot(learner.model), before), "weights unchanged");
  tf.dispose([x, outside, one, big]);
  dispose();
});

Deno.test("FineTuneLearner.setState() refuses a state that does not fit and changes nothing", async () => {
  const { learner, dispose } = build();
  const x = images(6);
  await learner.step(x, { labels: LABELS });
  const before = snapshot(learner.model);
  const state = await learner.getState();
  const fn = "FineTuneLearner.setState()";
  await assert.rejects(learner.setState({ ...state, method: "distill" } as never), {
    name: "RangeError",
    message: `${fn}: state.method must be "finetune", got "distill"`,
  });
  await assert.rejects(
    learner.setState({ ...state, models: { classifier: state.models.classifier.slice(1) } }),
    { name: "RangeError" },
  );
  await assert.rejects(learner.setState({ ...state, step: 1.5 }), {
    name: "RangeError",
    message: `${fn}: state.step must be an integer >= 0, got 1.5`,
  });
  assert.equal(learner.steps, 1);
  assert.ok(sameBits(snapshot(learner.model), before));
  assert.ok(maxDifference(snapshot(learner.model), before) === 0);
  x.dispose();
  dispose();
});
