import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { byolViews } from "@selfsup/augment";
import { fromArrays } from "@selfsup/data";
import { byolPredictor, byolProjector } from "@selfsup/heads";
import { deriveSeed } from "@selfsup/internal";
import { byolLoss } from "@selfsup/losses";
import { cosineMomentum, lars, warmupCosine } from "@selfsup/optim";
import {
  byolLearner,
  type ByolLearnerOptions,
  type ByolState,
  copyModel,
  type ViewPresetOptions,
} from "./mod.ts";
import { images, sameBits, snapshot } from "../internal/testing.ts";
import { tinyEncoder, tinyHeads } from "./_test_utils.ts";

tf.enableProdMode();

// A learner on the tiny encoder and heads; the models are disposed by `done`.
function tiny(options: Partial<ByolLearnerOptions> = {}) {
  const encoder = tinyEncoder();
  const { projector, predictor } = tinyHeads();
  const learner = byolLearner({
    encoder,
    projector,
    predictor,
    seed: 11,
    learningRate: 0.05,
    tau: 0.9,
    ...options,
  });
  const done = () => {
    learner.dispose();
    [encoder, projector, predictor].forEach((m) => m.dispose());
  };
  return { learner, encoder, projector, predictor, done };
}

const all = (l: ReturnType<typeof tiny>["learner"]) =>
  snapshot(l.encoder, l.projector, l.predictor, l.targetEncoder, l.targetProjector);

for (const batchNorm of ["per-view", "joint"] as const) {
  Deno.test(`step() equals a hand-written BYOL step (batchNorm ${batchNorm})`, async () => {
    const x = images(4);
    const step = 5, tau = 0.8, lr = 0.1;
    const { learner, done } = tiny({ learningRate: lr, tau, batchNorm });

    // The reference: copies of the same initial networks, the same views, target projections
    // without gradient, the symmetrised loss by LARS' minimize, then the EMA by hand.
    const [encoder, projector, predictor] = [learner.encoder, learner.projector, learner.predictor]
      .map(copyModel);
    const [targetEncoder, targetProjector] = [learner.targetEncoder, learner.targetProjector]
      .map(copyModel);
    const training = { training: true };
    const run = (e: tf.LayersModel, p: tf.LayersModel, v: tf.Tensor[]) => {
      const f = (b: tf.Tensor) => p.apply(e.apply(b, training), training) as tf.Tensor2D;
      return batchNorm === "per-view" ? v.map(f) : tf.split(f(tf.concat(v)), 2, 0);
    };
    const views = byolViews(x, { seed: deriveSeed(11, step), size: [8, 8] });
    const [t1, t2] = run(targetEncoder, targetProjector, views);
    const optimizer = lars({ learningRate: lr, momentum: 0.9, weightDecay: 1.5e-6 });
    const variables = [encoder, projector, predictor]
      .flatMap((m) => m.trainableWeights.map((w) => w.read() as tf.Variable));
    const refLoss = optimizer.minimize(
      () => {
        const [z1, z2] = run(encoder, projector, views);
        const [p1, p2] = batchNorm === "per-view"
          ? [z1, z2].map((z) => predictor.apply(z, training) as tf.Tensor2D)
          : tf.split(predictor.apply(tf.concat([z1, z2]), training) as tf.Tensor, 2, 0);
        return tf.add(byolLoss(p1, t2), byolLoss(p2, t1)) as tf.Scalar;
      },
      true,
      variables,
    )!;
    tf.tidy(() => {
      for (const [t, o] of [[targetEncoder, encoder], [targetProjector, projector]]) {
        o.weights.forEach((w, i) => {
          if (!w.trainable) return;
          const v = t.weights[i].read() as tf.Variable;
          v.assign(tf.add(tf.mul(tf.scalar(tau), v), tf.mul(tf.scalar(1 - tau), w.read())));
        });
      }
    });

    const result = await learner.step(x, { step });
    assert.equal(result.loss, refLoss.dataSync()[0]);
    assert.deepEqual(
      [result.step, result.learningRate, result.tau, result.cosine],
      [step, lr, tau, 1 - result.loss / 4],
    );
    assert.ok(
      sameBits(
        all(learner),
        snapshot(encoder, projector, predictor, targetEncoder, targetProjector),
      ),
    );

    tf.dispose([x, ...views, t1, t2, refLoss]);
    [encoder, projector, predictor, targetEncoder, targetProjector, optimizer]
      .forEach((d) => d.dispose());
    done();
  });
}

Deno.test("the target network receives no gradient: the optimizer sees online variables only", async () => {
  const seen: string[][] = [];
  class Spy extends tf.SGDOptimizer {
    override applyGradients(
      grads: tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[],
    ): void {
      seen.push(Array.isArray(grads) ? grads.map((g) => g.name) : Object.keys(grads));
      super.applyGradients(grads);
    }
  }
  const optimizer = new Spy(0.5);
  const x = images(4);
  const { learner, done } = tiny({ optimizer, learningRate: 0.5, tau: 1 });
  const online = [learner.encoder, learner.projector, learner.predictor]
    .flatMap((m) => m.trainableWeights.map((w) => w.name));
  const targetBefore = snapshot(learner.targetEncoder, learner.targetProjector);
  const onlineBefore = snapshot(learner.encoder, learner.projector, learner.predictor);
  const target = [learner.targetEncoder, learner.targetProjector]
    .flatMap((m) => m.weights.map((w) => w.name));
  await learner.step(x);
  assert.deepEqual(seen, [online]);
  assert.ok(target.every((name) => !online.includes(name)));
  // tau = 1: the EMA keeps the target, so any change to its trainable weights would be a
  // gradient step. (Its moving statistics move: its own forward passes in training mode.)
  const trainable = [learner.targetEncoder, learner.targetProjector]
    .flatMap((m) => m.weights.map((w) => w.trainable));
  const targetAfter = snapshot(learner.targetEncoder, learner.targetProjector);
  trainable.forEach((isTrainable, i) => {
    assert.equal(sameBits([targetAfter[i]], [targetBefore[i]]), isTrainable, `weight ${i}`);
  });
  assert.ok(
    !sameBits(snapshot(learner.encoder, learner.projector, learner.predictor), onlineBefore),
  );
  x.dispose();
  done();
  optimizer.dispose();
});

Deno.test("the default schedules are BYOL's: lr 0.2 x batch / 256 with 1% warmup, tau 0.996 -> 1", async () => {
  const x = images(4);
  const { learner, done } = tiny({
    learningRate: undefined,
    tau: undefined,
    batchSize: 512,
    totalSteps: 300,
  });
  assert.equal(learner.optimizer.getClassName(), "LARSOptimizer");
  const config = learner.optimizer.getConfig() as Record<string, unknown>;
  assert.deepEqual(
    [config.momentum, config.weightDecay, config.eta],
    [0.9, 1.5e-6, 0.001],
  );
  const lr = warmupCosine({ baseLr: 0.4, warmupSteps: 3, totalSteps: 300 });
  const tau = cosineMomentum({ base: 0.996, totalSteps: 300 });
  for (const step of [0, 1, 3, 150, 299, 400]) {
    const r = await learner.step(x, { step });
    assert.equal(r.learningRate, lr(step));
    assert.equal(r.tau, tau(step));
  }
  assert.equal(learner.steps, 6);
  x.dispose();
  done();
});

Deno.test("the default heads have the paper's sizes and a passed optimizer keeps its rate", async () => {
  const encoder = tinyEncoder();
  const optimizer = tf.train.sgd(0.01);
  const learner = byolLearner({ encoder, seed: 1, optimizer, totalSteps: 10 });
  assert.deepEqual(
    [learner.projector, learner.predictor].map((m) => [m.inputs[0].shape, m.outputs[0].shape]),
    [[[null, 4], [null, 256]], [[null, 256], [null, 256]]],
  );
  assert.equal(learner.projector.getLayer("layer1_dense").getWeights()[0].shape[1], 4096);
  const x = images(2);
  assert.equal((await learner.step(x)).learningRate, 0.01);
  x.dispose();
  const before = tf.memory().numTensors;
  const owned = [
    learner.projector,
    learner.predictor,
    learner.targetEncoder,
    learner.targetProjector,
  ]
    .reduce((n, m) => n + m.weights.length, 0);
  learner.dispose();
  assert.equal(tf.memory().numTensors, before - owned); // the optimizer is the caller's
  learner.dispose(); // twice: nothing
  assert.equal(optimizer.iterations, 1);
  optimizer.dispose();
  encoder.dispose();
});

Deno.test("tf.memory().numTensors is the same after step 2 and step 200", async () => {
  const x = images(4);
  const { learner, done } = tiny({ learningRate: undefined, batchSize: 4, totalSteps: 200 });
  let counted = 0;
  let after2 = -1;
  for (let i = 0; i < 200; i++) {
    const r = await learner.step(x);
    assert.ok(Number.isFinite(r.loss));
    if (i === 1) after2 = tf.memory().numTensors;
    counted++;
  }
  assert.equal(counted, 200);
  assert.equal(tf.memory().numTensors, after2);
  x.dispose();
  done();
});

Deno.test("getState() and setState() resume bit-identically: weights, target, optimizer, tau", async () => {
  const x = images(4);
  const options = { learningRate: undefined, tau: undefined, batchSize: 256, totalSteps: 8 };
  const a = tiny(options);
  const losses = async (l: typeof a.learner) => {
    const out = [];
    for (let i = 0; i < 3; i++) out.push(await l.step(x));
    return out;
  };
  await losses(a.learner);
  const state = structuredClone(await a.learner.getState()) as ByolState;
  assert.equal(state.method, "byol");
  assert.equal(state.step, 3);
  assert.deepEqual(Object.keys(state.models), [
    "encoder",
    "projector",
    "predictor",
    "targetEncoder",
    "targetProjector",
  ]);
  assert.ok(state.optimizer.length > 1); // iter + the LARS momentum buffers
  const continued = await losses(a.learner);

  const b = tiny(options);
  await b.learner.setState(state);
  assert.equal(b.learner.steps, 3);
  const resumed = await losses(b.learner);
  assert.deepEqual(resumed, continued);
  assert.ok(sameBits(all(b.learner), all(a.learner)));
  const [sa, sb] = [await a.learner.getState(), await b.learner.getState()];
  assert.ok(sameBits(
    sa.optimizer.map((r) => new Float32Array(r.values.buffer)),
    sb.optimizer.map((r) => new Float32Array(r.values.buffer)),
  ));
  x.dispose();
  a.done();
  b.done();
});

Deno.test("setState() refuses a state that does not fit and changes nothing", async () => {
  const x = images(4);
  const a = tiny();
  await a.learner.step(x);
  const good = await a.learner.getState();
  const b = tiny();
  const before = all(b.learner);
  const cases: [unknown, string, RegExp][] = [
    [{ ...good, method: "simclr" }, "RangeError", /state\.method must be "byol"/],
    [{ ...good, step: -1 }, "RangeError", /state\.step must be an integer >= 0/],
    [
      { ...good, models: { ...good.models, targetProjector: good.models.projector.slice(1) } },
      "RangeError",
      /state\.models\.targetProjector must be a list of 8 weight records/,
    ],
    [
      { ...good, models: { ...good.models, extra: [] } },
      "TypeError",
      /state\.models must have only the keys/,
    ],
    [{ ...good, optimizer: good.optimizer.slice(2) }, "RangeError", /state\.optimizer/],
    [null, "TypeError", /state must be an object/],
  ];
  for (const [state, name, message] of cases) {
    await assert.rejects(b.learner.setState(state as ByolState), { name, message });
  }
  assert.ok(sameBits(all(b.learner), before));
  assert.equal(b.learner.steps, 0);
  x.dispose();
  a.done();
  b.done();
});

Deno.test("step() takes a uint8 batch as its float equivalent", async () => {
  const pixels = new Uint8Array(4 * 8 * 8).map((_, i) => (i * 37) % 256);
  const batch = fromArrays(pixels, [4, 8, 8, 1]);
  const x = tf.tidy(() => tf.div(tf.tensor4d(pixels, [4, 8, 8, 1], "float32"), 255)) as tf.Tensor4D;
  const [a, b] = [tiny(), tiny()];
  const [ra, rb] = [await a.learner.step(batch), await b.learner.step(x)];
  assert.deepEqual(ra, rb);
  assert.ok(sameBits(all(a.learner), all(b.learner)));
  x.dispose();
  a.done();
  b.done();
});

Deno.test("step() passes the view preset the step's seed and the encoder's size", async () => {
  const calls: ViewPresetOptions[] = [];
  const x = images(3, 12);
  const { learner, done } = tiny({
    views: (images, options) => {
      calls.push(options);
      return byolViews(images, options);
    },
  });
  await learner.step(x, { step: 4 });
  await learner.step(x);
  assert.deepEqual(calls, [
    { seed: deriveSeed(11, 4), size: [8, 8], checkValues: false },
    { seed: deriveSeed(11, 1), size: [8, 8], checkValues: false },
  ]);
  // A preset may return its input: the learner must not dispose the caller's images.
  const identity = tiny({ views: (images) => [images, images] });
  const y = images(2);
  await identity.learner.step(y);
  assert.ok(!y.isDisposed);
  tf.dispose([x, y]);
  done();
  identity.done();
});

Deno.test("bad input throws one clear error naming the argument, and changes nothing", async () => {
  const { learner, done } = tiny();
  const x = images(4);
  await learner.step(x);
  const before = all(learner);
  const iterations = learner.optimizer.iterations;
  const outside = tf.fill([2, 8, 8, 1], 1.5) as tf.Tensor4D;
  const rank3 = tf.zeros([8, 8, 1]);
  const one = images(1);
  const rgb = images(2, 8, 3);
  const ints = tf.zeros([2, 8, 8, 1], "int32");
  const stepCases: [unknown, unknown, string, string | RegExp][] = [
    [rank3, {}, "TypeError", /^ByolLearner\.step\(\): images must be a rank-4 tensor/],
    [ints, {}, "TypeError", /^ByolLearner\.step\(\): images must be of dtype float32/],
    [
      outside,
      {},
      "RangeError",
      /^ByolLearner\.step\(\): images must be in \[0, 1\], got 128 values/,
    ],
    [one, {}, "RangeError", /^ByolLearner\.step\(\): images must be a batch of N >= 2 images/],
    [rgb, {}, "RangeError", /^ByolLearner\.step\(\): images must be \[N, H, W, 1\]/],
    [[1, 2], {}, "TypeError", /^ByolLearner\.step\(\): images must be a float32/],
    [x, { step: -1 }, "RangeError", "ByolLearner.step(): step must be an integer >= 0, got -1"],
    [x, { step: 1.5 }, "RangeError", "ByolLearner.step(): step must be an integer >= 0, got 1.5"],
    [x, { stp: 1 }, "TypeError", /^ByolLearner\.step\(\): options must have only the keys step/],
  ];
  for (const [images, options, name, message] of stepCases) {
    await assert.rejects(
      learner.step(images as tf.Tensor4D, options as { step?: number }),
      { name, message },
    );
  }
  // A schedule or view preset that misbehaves is caught before anything changes.
  const bad = tiny({ tau: () => 1.5, learningRate: () => NaN });
  await assert.rejects(bad.learner.step(x), {
    name: "RangeError",
    message: "ByolLearner.step(): learningRate(step) must be a finite number >= 0, got NaN",
  });
  const badViews = tiny({ views: (images) => [images, tf.zeros([4, 6, 6, 1])] as never });
  await assert.rejects(badViews.learner.step(x), {
    name: "TypeError",
    message: /^ByolLearner\.step\(\): views must be a preset returning two float32 \[4, 8, 8, 1\]/,
  });
  assert.ok(sameBits(all(learner), before));
  assert.equal(learner.steps, 1);
  assert.equal(learner.optimizer.iterations, iterations);
  tf.dispose([x, outside, rank3, one, rgb, ints]);
  done();
  bad.done();
  badViews.done();
});

Deno.test("byolLearner() rejects bad options, naming them, and leaks nothing", () => {
  const encoder = tinyEncoder();
  const { projector, predictor } = tinyHeads();
  const wrongWidth = byolProjector({ inputDim: 5, hiddenDim: 8, outputDim: 6, seed: 1 });
  const wrongPredictor = byolPredictor({ inputDim: 6, hiddenDim: 8, outputDim: 7, seed: 1 });
  const narrow = byolProjector({ inputDim: 4, hiddenDim: 2, outputDim: 4, seed: 2 });
  const base = { encoder, projector, predictor, seed: 1, learningRate: 0.1, tau: 0.99 };
  const before = tf.memory().numTensors;
  const cases: [Record<string, unknown>, string, string | RegExp][] = [
    [
      { ...base, projector: wrongWidth },
      "RangeError",
      /^byolLearner\(\): projector must be a tf\.LayersModel from \[N, 4\] \(the encoder's output\) to \[N, P\], got a model \[N,5\] -> \[N,6\]$/,
    ],
    [
      { ...base, predictor: wrongPredictor },
      "RangeError",
      /^byolLearner\(\): predictor must be a tf\.LayersModel from \[N, 6\] \(the projector's output\) to \[N, 6\]/,
    ],
    [
      { ...base, projector: undefined, predictor },
      "RangeError",
      /^byolLearner\(\): predictor must be a tf\.LayersModel from \[N, 256\]/,
    ],
    [
      { ...base, encoder: projector },
      "TypeError",
      /^byolLearner\(\): encoder must be a tf\.LayersModel from \[N, H, W, C\] images to \[N, D\]/,
    ],
    [
      { ...base, projector: narrow },
      "RangeError",
      /^byolLearner\(\): predictor must be a tf\.LayersModel from \[N, 4\]/,
    ],
    [{ ...base, seed: 1.5 }, "RangeError", "byolLearner(): seed must be a safe integer, got 1.5"],
    [
      { ...base, seed: undefined },
      "TypeError",
      "byolLearner(): seed must be a safe integer, got undefined",
    ],
    [
      { ...base, tau: 1.2 },
      "RangeError",
      "byolLearner(): tau must be a finite number in [0, 1], got 1.2",
    ],
    [
      { ...base, learningRate: -1 },
      "RangeError",
      "byolLearner(): learningRate must be a finite number >= 0, got -1",
    ],
    [
      { ...base, tau: undefined },
      "TypeError",
      /^byolLearner\(\): totalSteps must be an integer >= 1 \(the default tau schedule needs it/,
    ],
    [
      { ...base, learningRate: undefined, totalSteps: 10 },
      "TypeError",
      /^byolLearner\(\): batchSize must be an integer >= 1/,
    ],
    [
      { ...base, batchSize: 64 },
      "TypeError",
      /^byolLearner\(\): batchSize must be omitted when learningRate or optimizer is given/,
    ],
    [
      { ...base, totalSteps: 64 },
      "TypeError",
      /^byolLearner\(\): totalSteps must be omitted when learningRate \(or optimizer\) and tau are given/,
    ],
    [
      { ...base, learningRate: undefined, batchSize: 8, totalSteps: 10, warmupSteps: 11 },
      "RangeError",
      "byolLearner(): warmupSteps must be an integer in [0, 10], got 11",
    ],
    [
      { ...base, batchNorm: "global" },
      "RangeError",
      /^byolLearner\(\): batchNorm must be one of "per-view", "joint"/,
    ],
    [
      { ...base, views: "byol" },
      "TypeError",
      /^byolLearner\(\): views must be a view preset function/,
    ],
    [
      { ...base, optimizer: {} },
      "TypeError",
      "byolLearner(): optimizer must be a tf.Optimizer, got an object",
    ],
    [
      { ...base, checkValues: 1 },
      "TypeError",
      "byolLearner(): checkValues must be a boolean, got 1",
    ],
    [
      { ...base, temperature: 0.1 },
      "TypeError",
      /^byolLearner\(\): options must have only the keys/,
    ],
  ];
  for (const [options, name, message] of cases) {
    assert.throws(() => byolLearner(options as unknown as ByolLearnerOptions), { name, message });
  }
  assert.throws(() => byolLearner({ ...base, projector: encoder } as ByolLearnerOptions), {
    name: "TypeError",
  });
  assert.throws(() => byolLearner(null as unknown as ByolLearnerOptions), {
    name: "TypeError",
    message: "byolLearner(): options must be an object, got null",
  });
  assert.equal(tf.memory().numTensors, before);
  [encoder, projector, predictor, wrongWidth, wrongPredictor, narrow].forEach((m) => m.dispose());
});

Deno.test("a disposed or busy learner refuses to run", async () => {
  const { learner, done } = tiny();
  const x = images(2);
  const first = learner.step(x);
  await assert.rejects(learner.step(x), {
    name: "Error",
    message: "ByolLearner.step(): the previous call has not finished; await it first",
  });
  await first;
  done();
  await assert.rejects(learner.step(x), {
    name: "Error",
    message: "ByolLearner.step(): the learner has been disposed",
  });
  await assert.rejects(learner.getState(), { message: /has been disposed/ });
  x.dispose();
});
