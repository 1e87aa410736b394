import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { simclrViews, smallImageViews } from "@selfsup/augment";
import { fromArrays, toImageTensor } from "@selfsup/data";
import { projectionHead } from "@selfsup/heads";
import { deriveSeed } from "@selfsup/internal";
import { ntXent } from "@selfsup/losses";
import { lars, warmupCosine } from "@selfsup/optim";
import { simclrLearner, type SimclrLearnerOptions, type ViewPresetOptions } from "./mod.ts";
import { images, sameBits, snapshot } from "../internal/testing.ts";
import { tinyEncoder } from "./_test_utils.ts";

tf.enableProdMode();

Deno.test("step() equals a hand-written SimCLR step: views, one 2N batch, NT-Xent, LARS", async () => {
  const x = images(4);
  const seed = 11, step = 3, lr = 0.2;
  const encoder = tinyEncoder();
  const learner = simclrLearner({ encoder, seed, learningRate: lr });

  // The reference: the same models built again, the same views, the update by LARS' minimize.
  const refEncoder = tinyEncoder();
  const refHead = projectionHead({ inputDim: 4, seed: 1 });
  refHead.setWeights(learner.head.getWeights());
  const optimizer = lars({ learningRate: lr, momentum: 0.9, weightDecay: 1e-6 });
  const variables = [...refEncoder.trainableWeights, ...refHead.trainableWeights]
    .map((w) => w.read() as tf.Variable);
  const [v1, v2] = smallImageViews(x, { seed: deriveSeed(seed, step), size: [8, 8] });
  const batch = tf.concat([v1, v2]);
  const refLoss = optimizer.minimize(
    () => {
      const z = refHead.apply(refEncoder.apply(batch, { training: true }), { training: true });
      const [z1, z2] = tf.split(z as tf.Tensor2D, 2, 0);
      return ntXent(z1, z2, { temperature: 0.5 });
    },
    true,
    variables,
  )!;

  const result = await learner.step(x, { step });
  assert.equal(result.loss, refLoss.dataSync()[0]);
  assert.equal(result.step, step);
  assert.equal(result.learningRate, lr);
  assert.ok(sameBits(snapshot(encoder, learner.head), snapshot(refEncoder, refHead)));

  tf.dispose([x, v1, v2, batch, refLoss]);
  [learner, optimizer, encoder, refEncoder, refHead].forEach((d) => d.dispose());
});

Deno.test("step() returns finite monitors in their ranges and counts steps", async () => {
  const x = images(6);
  const encoder = tinyEncoder();
  const learner = simclrLearner({ encoder, seed: 1, learningRate: 0.1 });
  for (let i = 0; i < 3; i++) {
    const r = await learner.step(x);
    assert.equal(r.step, i);
    assert.equal(learner.steps, i + 1);
    assert.ok(r.loss > 0 && r.loss < 2 * Math.log(11), `loss ${r.loss}`);
    assert.ok(Math.abs(r.positiveCosine) <= 1 + 1e-6 && Math.abs(r.negativeCosine) <= 1 + 1e-6);
    assert.ok(r.contrastiveAccuracy >= 0 && r.contrastiveAccuracy <= 1);
    const anchors = r.contrastiveAccuracy * 12; // a count of the 12 anchors
    assert.ok(Math.abs(anchors - Math.round(anchors)) < 1e-5, `accuracy ${r.contrastiveAccuracy}`);
  }
  x.dispose();
  learner.dispose();
  encoder.dispose();
});

Deno.test("the default learning rate is SimCLR's warmup + cosine at 0.3 x batch / 256", async () => {
  const x = images(4);
  const encoder = tinyEncoder();
  const learner = simclrLearner({ encoder, seed: 1, batchSize: 512, totalSteps: 20 });
  assert.equal(learner.optimizer.getClassName(), "LARSOptimizer");
  assert.deepEqual(
    (learner.optimizer.getConfig() as { weightDecay: number; momentum: number }).weightDecay,
    1e-6,
  );
  const schedule = warmupCosine({ baseLr: 0.6, warmupSteps: 2, totalSteps: 20 });
  const steps = [0, 1, 2, 7, 19, 25];
  for (const step of steps) {
    assert.equal((await learner.step(x, { step })).learningRate, schedule(step));
    assert.equal(
      (learner.optimizer as unknown as { learningRate: number }).learningRate,
      schedule(step),
    );
  }
  assert.equal(learner.steps, steps.length);
  x.dispose();
  learner.dispose();
  encoder.dispose();
});

Deno.test("learningRate reaches optimizers that keep it in a scalar (sgd at 0 moves nothing)", async () => {
  const x = images(4);
  const encoder = tinyEncoder();
  const optimizer = tf.train.sgd(10);
  const learner = simclrLearner({ encoder, seed: 1, optimizer, learningRate: () => 0 });
  const trainable = () =>
    encoder.trainableWeights.map((w) => Float32Array.from(w.read().dataSync()));
  const before = trainable();
  const result = await learner.step(x);
  assert.equal(result.learningRate, 0);
  assert.ok(sameBits(trainable(), before));
  // An optimizer given without learningRate keeps its own rate, and reports it.
  const own = simclrLearner({ encoder, seed: 1, optimizer: tf.train.adam(0.003) });
  assert.equal((await own.step(x)).learningRate, 0.003);
  own.optimizer.dispose();
  x.dispose();
  learner.dispose();
  optimizer.dispose();
  encoder.dispose();
});

Deno.test("the same seed and step give identical results; another seed or step does not", async () => {
  const x = images(4);
  const run = async (seed: number, firstStep = 0) => {
    const encoder = tinyEncoder();
    const learner = simclrLearner({ encoder, seed, learningRate: 0.1 });
    const losses = [];
    for (let i = 0; i < 3; i++) losses.push((await learner.step(x, { step: firstStep + i })).loss);
    const weights = snapshot(encoder, learner.head);
    learner.dispose();
    encoder.dispose();
    return { losses, weights };
  };
  const a = await run(5), b = await run(5), c = await run(6), d = await run(5, 10);
  assert.deepEqual(a.losses, b.losses);
  assert.ok(sameBits(a.weights, b.weights));
  assert.notDeepEqual(a.losses, c.losses);
  assert.notEqual(a.losses[0], d.losses[0]);
  x.dispose();
});

Deno.test("the views come from deriveSeed(seed, step) at the encoder's input size", async () => {
  const calls: ViewPresetOptions[] = [];
  const views = (x: tf.Tensor4D, o: ViewPresetOptions) => {
    calls.push(o);
    return smallImageViews(x, o);
  };
  const x = images(3, 12); // larger than the encoder's 8x8: cropped and resized
  const encoder = tinyEncoder();
  const learner = simclrLearner({ encoder, seed: 9, views, learningRate: 0.1 });
  await learner.step(x);
  await learner.step(x, { step: 40 });
  assert.deepEqual(calls, [
    { seed: deriveSeed(9, 0), size: [8, 8], checkValues: false },
    { seed: deriveSeed(9, 40), size: [8, 8], checkValues: false },
  ]);
  x.dispose();
  learner.dispose();
  encoder.dispose();
});

Deno.test("defaults follow the view size: CIFAR setting at <= 32 px, ImageNet's above", () => {
  const small = tinyEncoder(1, [32, 32, 3]);
  const large = tinyEncoder(1, [33, 33, 3]);
  const a = simclrLearner({ encoder: small, seed: 1, learningRate: 0.1 });
  const b = simclrLearner({ encoder: large, seed: 1, learningRate: 0.1 });
  assert.equal(a.views, smallImageViews);
  assert.equal(a.temperature, 0.5);
  assert.equal(b.views, simclrViews);
  assert.equal(b.temperature, 0.1);
  // The default head: SimCLR's 2 layers, hidden D, output 128.
  assert.deepEqual(a.head.outputs[0].shape, [null, 128]);
  assert.equal(a.head.layers.filter((l) => l.getClassName() === "Dense").length, 2);
  [a, b, small, large].forEach((d) => d.dispose());
});

Deno.test("a uint8 batch trains exactly as its float tensor", async () => {
  const pixels = new Uint8Array(4 * 8 * 8).map((_, i) => (i * 37) % 256);
  const batch = fromArrays(pixels, [4, 8, 8, 1]);
  const x = toImageTensor(batch);
  const losses = [];
  for (const input of [batch, x]) {
    const encoder = tinyEncoder();
    const learner = simclrLearner({ encoder, seed: 3, learningRate: 0.1 });
    losses.push((await learner.step(input)).loss);
    learner.dispose();
    encoder.dispose();
  }
  assert.equal(losses[0], losses[1]);
  x.dispose();
});

Deno.test("state round-trip: 3 steps, save, 3 more equal a fresh learner restored + 3 steps", async () => {
  const x = images(4);
  const configs: [string, () => Partial<SimclrLearnerOptions>][] = [
    ["default LARS schedule", () => ({ batchSize: 4, totalSteps: 6 })],
    ["tfjs momentum", () => ({ optimizer: tf.train.momentum(0.05, 0.9), learningRate: 0.05 })],
  ];
  for (const [label, extra] of configs) {
    const build = () => {
      const encoder = tinyEncoder();
      return simclrLearner({ encoder, seed: 4, ...extra() });
    };
    const first = build();
    for (let i = 0; i < 3; i++) await first.step(x);
    const state = structuredClone(await first.getState());
    assert.equal(state.method, "simclr");
    assert.equal(state.step, 3);
    const continued = [];
    for (let i = 0; i < 3; i++) continued.push((await first.step(x)).loss);

    const second = build();
    await second.setState(state);
    assert.equal(second.steps, 3);
    const resumed = [];
    for (let i = 0; i < 3; i++) resumed.push((await second.step(x)).loss);
    assert.deepEqual(resumed, continued, label);
    assert.ok(
      sameBits(snapshot(first.encoder, first.head), snapshot(second.encoder, second.head)),
      label,
    );
    for (const l of [first, second]) {
      if (label === "tfjs momentum") l.optimizer.dispose();
      l.dispose();
      l.encoder.dispose();
    }
  }
  x.dispose();
});

Deno.test("setState() refuses a state that does not fit and changes nothing", async () => {
  const x = images(4);
  const encoder = tinyEncoder();
  const learner = simclrLearner({ encoder, seed: 1, learningRate: 0.1 });
  await learner.step(x);
  const good = await learner.getState();
  const before = snapshot(encoder, learner.head);
  const bad: [string, unknown, string, RegExp][] = [
    ["not an object", 3, "TypeError", /^SimclrLearner\.setState\(\): state must be an object/],
    ["another method", { ...good, method: "byol" }, "RangeError", /state\.method must be "simclr"/],
    ["bad step", { ...good, step: -1 }, "RangeError", /state\.step must be an integer >= 0/],
    [
      "a model too many",
      { ...good, models: { ...good.models, target: [] } },
      "TypeError",
      /got key "target"/,
    ],
    [
      "a weight missing in the head",
      { ...good, models: { ...good.models, head: good.models.head.slice(1) } },
      "RangeError",
      /state\.models\.head must be a list of \d+ weight records/,
    ],
    [
      "a wrong shape in the optimizer",
      {
        ...good,
        optimizer: [good.optimizer[0], {
          ...good.optimizer[1],
          shape: [1],
          values: new Float32Array(1),
        }, ...good.optimizer.slice(2)],
      },
      "RangeError",
      /state\.optimizer\[1\] must be a float32 record of shape/,
    ],
    [
      "an optimizer slot missing",
      { ...good, optimizer: good.optimizer.slice(0, -1) },
      "RangeError",
      /state\.optimizer must be iter and k slots/,
    ],
  ];
  for (const [label, state, name, message] of bad) {
    await assert.rejects(
      learner.setState(state as typeof good),
      (e: Error) => e.name === name && message.test(e.message),
      label,
    );
  }
  // A bad optimizer part is found before the (valid) models are written.
  const otherLearner = simclrLearner({ encoder, seed: 2, learningRate: 0.1 });
  const other = await otherLearner.getState();
  otherLearner.dispose();
  await assert.rejects(learner.setState({ ...other, optimizer: [] }), TypeError);
  assert.ok(sameBits(snapshot(encoder, learner.head), before));
  assert.equal(learner.steps, 1);
  x.dispose();
  learner.dispose();
  encoder.dispose();
});

Deno.test("memory is flat: tf.memory() is the same after step 2 and step 200", async () => {
  const start = tf.memory().numTensors;
  const x = images(4);
  const batch = fromArrays(new Uint8Array(4 * 64).fill(128), [4, 8, 8, 1]);
  const encoder = tinyEncoder();
  const learner = simclrLearner({ encoder, seed: 1, batchSize: 4, totalSteps: 200 });
  let after2: tf.MemoryInfo | undefined;
  let steps = 0;
  for (let i = 1; i <= 200; i++) {
    await learner.step(i % 2 === 0 ? x : batch);
    steps++;
    if (i === 2) after2 = tf.memory();
  }
  assert.equal(steps, 200);
  assert.equal(tf.memory().numTensors, after2!.numTensors);
  assert.equal(tf.memory().numBytes, after2!.numBytes);
  // dispose() frees the default optimizer's momentum and the default head.
  learner.dispose();
  x.dispose();
  encoder.dispose();
  assert.equal(tf.memory().numTensors, start);
});

Deno.test("bad step input throws one clear error and changes nothing", async () => {
  const encoder = tinyEncoder();
  const learner = simclrLearner({ encoder, seed: 1, learningRate: 0.1 });
  const x = images(4);
  await learner.step(x);
  const before = snapshot(encoder, learner.head);
  const iterations = learner.optimizer.iterations;
  const fn = /^SimclrLearner\.step\(\): /;
  const outside = tf.fill([4, 8, 8, 1], 1.5) as tf.Tensor4D;
  const nan = tf.tidy(() => tf.concat([images(3), tf.fill([1, 8, 8, 1], NaN)])) as tf.Tensor4D;
  const cases: [string, () => Promise<unknown>, string, RegExp][] = [
    [
      "rank 3",
      () => learner.step(tf.zeros([4, 8, 8]) as never),
      "TypeError",
      /images must be a rank-4/,
    ],
    [
      "int32",
      () => learner.step(tf.zeros([4, 8, 8, 1], "int32") as never),
      "TypeError",
      /dtype float32/,
    ],
    ["not a tensor", () => learner.step([1, 2] as never), "TypeError", /images must be a float32/],
    [
      "values above 1",
      () => learner.step(outside),
      "RangeError",
      /images must be in \[0, 1\], got 256 values/,
    ],
    [
      "NaN",
      () => learner.step(nan),
      "RangeError",
      /images must be in \[0, 1\], got 64 values outside it or NaN/,
    ],
    ["a batch of 1", () => learner.step(images(1)), "RangeError", /N >= 2/],
    ["3 channels", () => learner.step(images(4, 8, 3)), "RangeError", /\[N, H, W, 1\]/],
    ["step -1", () => learner.step(x, { step: -1 }), "RangeError", /step must be an integer >= 0/],
    ["step 1.5", () => learner.step(x, { step: 1.5 }), "RangeError", /step must be an integer/],
    ["step '1'", () => learner.step(x, { step: "1" as never }), "TypeError", /step must be/],
    [
      "unknown option",
      () => learner.step(x, { steps: 1 } as never),
      "TypeError",
      /got key "steps"/,
    ],
    [
      "a dataset of the wrong size",
      () => learner.step({ images: new Uint8Array(10), shape: [4, 8, 8, 1] }),
      "RangeError",
      /matches its pixel count/,
    ],
  ];
  for (const [label, call, name, message] of cases) {
    await assert.rejects(call, (e: Error) => {
      assert.equal(e.name, name, `${label}: ${e.message}`);
      assert.match(e.message, fn, label);
      assert.match(e.message, message, label);
      return true;
    });
  }
  const failing = simclrLearner({ encoder, seed: 1, learningRate: () => NaN });
  await assert.rejects(failing.step(x), /learningRate\(step\) must be a finite number >= 0/);
  assert.ok(sameBits(snapshot(encoder, learner.head), before));
  assert.equal(learner.steps, 1);
  assert.equal(learner.optimizer.iterations, iterations);
  // The images are checked only when asked: checkValues false trains on them as they are.
  const unchecked = simclrLearner({ encoder, seed: 1, learningRate: 0.1, checkValues: false });
  assert.ok(Number.isFinite((await unchecked.step(outside)).loss));
  [learner, failing, unchecked].forEach((l) => l.dispose());
  tf.dispose([x, outside, nan]);
  encoder.dispose();
});

Deno.test("simclrLearner() refuses bad options, naming them, and builds nothing", () => {
  const encoder = tinyEncoder();
  const wideHead = projectionHead({ inputDim: 8, seed: 1 });
  const flat = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 2 })] });
  const freeInput = tf.input({ shape: [null, null, 1] });
  const free = tf.model({
    inputs: freeInput,
    outputs: tf.layers.globalAveragePooling2d({}).apply(
      tf.layers.conv2d({ filters: 2, kernelSize: 1 }).apply(freeInput),
    ) as tf.SymbolicTensor,
  });
  const ok = { encoder, seed: 1, learningRate: 0.1 };
  const cases: [string, unknown, string, RegExp][] = [
    ["not an object", null, "TypeError", /options must be an object/],
    ["no encoder", { seed: 1, learningRate: 0.1 }, "TypeError", /encoder must be a tf.LayersModel/],
    [
      "a dense encoder",
      { ...ok, encoder: flat },
      "TypeError",
      /encoder must be .*got a model \[N,4\]/,
    ],
    [
      "head width",
      { ...ok, head: wideHead },
      "RangeError",
      /head must be .*\[N, 4\].*got a model \[N,8\]/,
    ],
    [
      "head = encoder",
      { ...ok, head: encoder },
      "TypeError",
      /head must be a tf\.LayersModel from \[N, /,
    ],
    ["seed 1.5", { ...ok, seed: 1.5 }, "RangeError", /seed must be a safe integer, got 1.5/],
    [
      "no seed",
      { encoder, learningRate: 0.1 },
      "TypeError",
      /seed must be a safe integer, got undefined/,
    ],
    [
      "temperature 0",
      { ...ok, temperature: 0 },
      "RangeError",
      /temperature must be a finite number > 0/,
    ],
    ["views", { ...ok, views: "simclr" }, "TypeError", /views must be a view preset function/],
    ["optimizer", { ...ok, optimizer: {} }, "TypeError", /optimizer must be a tf.Optimizer/],
    [
      "learningRate -1",
      { ...ok, learningRate: -1 },
      "RangeError",
      /learningRate must be a finite number >= 0/,
    ],
    [
      "no schedule",
      { encoder, seed: 1 },
      "TypeError",
      /batchSize must be an integer >= 1 \(the default/,
    ],
    ["no totalSteps", { encoder, seed: 1, batchSize: 8 }, "TypeError", /totalSteps must be/],
    [
      "warmup > total",
      { encoder, seed: 1, batchSize: 8, totalSteps: 5, warmupSteps: 6 },
      "RangeError",
      /warmupSteps must be an integer in \[0, 5\]/,
    ],
    [
      "schedule + rate",
      { ...ok, totalSteps: 5 },
      "TypeError",
      /totalSteps must be omitted when learningRate/,
    ],
    ["checkValues", { ...ok, checkValues: 1 }, "TypeError", /checkValues must be a boolean/],
    ["a typo", { ...ok, temprature: 0.2 }, "TypeError", /got key "temprature"/],
    [
      "free size",
      { encoder: free, seed: 1, learningRate: 0.1 },
      "TypeError",
      /views must be given when/,
    ],
  ];
  const tensors = tf.memory().numTensors;
  for (const [label, options, name, message] of cases) {
    assert.throws(() => simclrLearner(options as SimclrLearnerOptions), (e: Error) => {
      assert.equal(e.name, name, `${label}: ${e.message}`);
      assert.match(e.message, /^simclrLearner\(\): /, label);
      assert.match(e.message, message, label);
      return true;
    });
  }
  assert.equal(tf.memory().numTensors, tensors);
  // A free-size encoder works once views and temperature are given.
  const learner = simclrLearner({
    encoder: free,
    seed: 1,
    learningRate: 0.1,
    views: smallImageViews,
    temperature: 0.5,
  });
  [learner, encoder, wideHead, flat, free].forEach((d) => d.dispose());
});

Deno.test("only the encoder's and head's trainable weights change; other models do not", async () => {
  const x = images(4);
  const encoder = tinyEncoder();
  const bystander = tinyEncoder(2);
  const frozen = encoder.getLayer("stage1_conv");
  frozen.trainable = false;
  const head = projectionHead({ inputDim: 4, outputDim: 8, layers: 3, seed: 3 });
  const learner = simclrLearner({ encoder, head, seed: 1, learningRate: 0.5 });
  const value = (w: tf.LayerVariable) => Float32Array.from(w.read().dataSync());
  const bystanderBefore = snapshot(bystander);
  const frozenBefore = value(frozen.weights[0]);
  const bn = encoder.getLayer("stage1_bn").weights;
  const bnBefore = bn.map(value);
  const headBefore = head.trainableWeights.map(value);
  await learner.step(x);
  await learner.step(x);
  assert.ok(sameBits(snapshot(bystander), bystanderBefore));
  assert.ok(sameBits([value(frozen.weights[0])], [frozenBefore]));
  // gamma, beta trained; moving mean and variance updated by the training-mode forward pass.
  bn.forEach((w, i) => assert.ok(!sameBits([value(w)], [bnBefore[i]]), w.name));
  head.trainableWeights.forEach((w, i) =>
    assert.ok(!sameBits([value(w)], [headBefore[i]]), w.name)
  );
  x.dispose();
  learner.dispose();
  [encoder, bystander, head].forEach((m) => m.dispose());
});

Deno.test("a second step before the first finished is refused; a disposed learner too", async () => {
  const x = images(4);
  const encoder = tinyEncoder();
  const learner = simclrLearner({ encoder, seed: 1, learningRate: 0.1 });
  const first = learner.step(x);
  await assert.rejects(learner.step(x), /^Error: SimclrLearner\.step\(\): the previous call/);
  await first;
  assert.equal(learner.steps, 1);
  learner.dispose();
  learner.dispose();
  await assert.rejects(learner.step(x), /has been disposed/);
  x.dispose();
  encoder.dispose();
});
