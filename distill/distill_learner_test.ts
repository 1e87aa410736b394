import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { fromArrays } from "@selfsup/data";
import { classifierModel } from "./classifier_model.ts";
import { distillLearner, type DistillLearnerOptions } from "./distill_learner.ts";
import {
  convEncoder,
  images,
  maxDifference,
  plainEncoder,
  sameBits,
  snapshot,
} from "./_testing.ts";

tf.enableProdMode();

// A teacher and a student on 8x8 images with batch norm (convEncoder), 3 classes.
function pair(options: Partial<DistillLearnerOptions> = {}) {
  const teacherEncoder = convEncoder(1, [4]);
  const studentEncoder = convEncoder(5, [2]); // a smaller student
  const teacher = classifierModel({ encoder: teacherEncoder, numClasses: 3, seed: 2 });
  const linear = teacher.layers[teacher.layers.length - 1];
  linear.setWeights([tf.randomNormal([4, 3], 0, 2, "float32", 3), tf.tensor1d([0.5, 0, -0.5])]);
  const student = classifierModel({ encoder: studentEncoder, numClasses: 3, seed: 6 });
  const learner = distillLearner({
    teacher,
    student,
    seed: 9,
    batchSize: 6,
    totalSteps: 100,
    ...options,
  });
  const dispose = () => {
    learner.dispose();
    for (const m of [teacher, student, teacherEncoder, studentEncoder]) m.dispose();
  };
  return { teacher, student, learner, dispose };
}

// A teacher without batch norm and a student that is its exact copy, on 4x4 images.
function copies(seed: number, temperature: number) {
  const teacherEncoder = plainEncoder(1);
  const studentEncoder = plainEncoder(2);
  const teacher = classifierModel({ encoder: teacherEncoder, numClasses: 3, seed: 3 });
  const linear = teacher.layers[teacher.layers.length - 1];
  linear.setWeights([tf.randomNormal([6, 3], 0, 2, "float32", 4), tf.tensor1d([0.5, 0, -0.5])]);
  const student = classifierModel({ encoder: studentEncoder, numClasses: 3, seed: 5 });
  if (seed === 0) student.setWeights(teacher.getWeights());
  const learner = distillLearner({
    teacher,
    student,
    seed: 9,
    temperature,
    optimizer: tf.train.sgd(1),
  });
  const dispose = () => {
    learner.dispose();
    learner.optimizer.dispose();
    for (const m of [teacher, student, teacherEncoder, studentEncoder]) m.dispose();
  };
  return { teacher, student, learner, dispose };
}

Deno.test("a student that is a copy of the teacher sits at the minimum: zero gradient", async () => {
  for (const temperature of [1, 2]) {
    const copy = copies(0, temperature);
    const x = images(8, 4, 1);
    const before = snapshot(copy.student);
    const result = await copy.learner.step(x);
    // SGD at rate 1: the change of every weight is its gradient.
    const gradient = maxDifference(snapshot(copy.student), before);
    assert.ok(gradient < 1e-6, `T = ${temperature}: largest gradient ${gradient}`);
    assert.equal(result.agreement, 1);
    copy.dispose();

    // The control: a different student gets a clear gradient (the test can fail).
    const other = copies(1, temperature);
    const otherBefore = snapshot(other.student);
    const moved = await other.learner.step(x);
    assert.ok(maxDifference(snapshot(other.student), otherBefore) > 1e-3);
    assert.ok(moved.distillationLoss > result.distillationLoss);
    other.dispose();
    x.dispose();
  }
});

Deno.test("the teacher is bit-unchanged by distillation steps, batch-norm statistics included", async () => {
  const { teacher, student, learner, dispose } = pair();
  const x = images(6);
  const teacherBefore = snapshot(teacher);
  const studentBefore = snapshot(student);
  for (let i = 0; i < 3; i++) await learner.step(x);
  assert.ok(sameBits(snapshot(teacher), teacherBefore));
  assert.ok(!sameBits(snapshot(student), studentBefore), "the student learns");
  x.dispose();
  dispose();
});

Deno.test("DistillLearner mixes in the labelled cross-entropy with weight 1 - alpha", async () => {
  const { learner, dispose } = pair({ alpha: 0.25 });
  const x = images(6);
  const labelledX = images(4, 8, 7);
  const result = await learner.step(x, { labelled: { images: labelledX, labels: [0, 1, 2, 0] } });
  assert.ok(result.labelledLoss !== undefined);
  const mixed = 0.25 * result.distillationLoss + 0.75 * result.labelledLoss;
  assert.ok(Math.abs(result.loss - mixed) < 1e-5, `${result.loss} vs ${mixed}`);
  // A label tensor stays the caller's.
  const labels = tf.tensor1d([2, 0, 1, 1], "int32");
  await learner.step(x, { labelled: { images: labelledX, labels } });
  assert.ok(!labels.isDisposed);
  labels.dispose();
  // A labelled Dataset works too.
  const pixels = new Uint8Array(4 * 64).map((_, i) => (i * 31) % 256);
  const batch = fromArrays(pixels, [4, 8, 8, 1], { labels: [2, 1, 0, 1] });
  assert.ok(Number.isFinite((await learner.step(x, { labelled: batch })).labelledLoss!));
  tf.dispose([x, labelledX]);
  dispose();
});

Deno.test("DistillLearner uses SimCLRv2's pretraining schedule and LARS with weight decay", async () => {
  const { learner, dispose } = pair({ batchSize: 64, totalSteps: 100 });
  const x = images(6);
  const rates = [];
  for (const step of [0, 5, 100]) rates.push((await learner.step(x, { step })).learningRate);
  // Warmup over 5% of the steps to 0.1 * sqrt(64) (step 0 already trains), cosine to 0.
  assert.ok(Math.abs(rates[0] - 0.8 / 5) < 1e-12);
  assert.equal(rates[1], 0.8);
  assert.equal(rates[2], 0);
  assert.equal(learner.optimizer.getClassName(), "LARSOptimizer");
  const config = learner.optimizer as unknown as { getConfig(): Record<string, unknown> };
  assert.throws(() => config.getConfig(), TypeError); // its exclusions are a predicate
  x.dispose();
  dispose();
});

Deno.test("DistillLearner keeps tf.memory() flat from step 2 to step 200", async () => {
  const { learner, dispose } = pair({ alpha: 0.5 });
  const x = images(6);
  const labelled = { images: images(2, 8, 3), labels: [0, 1] };
  const counts: number[] = [];
  for (let i = 1; i <= 200; i++) {
    await learner.step(x, { labelled });
    if (i === 2 || i === 200) counts.push(tf.memory().numTensors);
  }
  assert.equal(counts.length, 2);
  assert.equal(counts[1], counts[0]);
  tf.dispose([x, labelled.images]);
  dispose();
});

Deno.test("DistillLearner state restores into a fresh learner and continues bit-identically", async () => {
  const x = images(6);
  const a = pair();
  for (let i = 0; i < 3; i++) await a.learner.step(x);
  const state = structuredClone(await a.learner.getState());
  assert.equal(state.method, "distill");
  assert.deepEqual(Object.keys(state.models), ["student"]);
  const lossesA = [];
  for (let i = 0; i < 3; i++) lossesA.push((await a.learner.step(x)).loss);

  const b = pair();
  await b.learner.setState(state);
  assert.equal(b.learner.steps, 3);
  const lossesB = [];
  for (let i = 0; i < 3; i++) lossesB.push((await b.learner.step(x)).loss);
  assert.deepEqual(lossesB, lossesA);
  assert.ok(sameBits(snapshot(b.student), snapshot(a.student)));
  x.dispose();
  a.dispose();
  b.dispose();
});

Deno.test("distillLearner() refuses bad options, naming them", () => {
  const teacherEncoder = convEncoder(1);
  const teacher = classifierModel({ encoder: teacherEncoder, numClasses: 3, seed: 2 });
  const studentEncoder = convEncoder(3);
  const student = classifierModel({ encoder: studentEncoder, numClasses: 3, seed: 4 });
  const others = [convEncoder(5), plainEncoder(1, 4, 6)];
  const five = classifierModel({ encoder: others[0], numClasses: 5, seed: 6 });
  const big = classifierModel({ encoder: others[1], numClasses: 3, seed: 7 });
  const sharing = classifierModel({ encoder: teacherEncoder, numClasses: 3, seed: 8 });
  const base = { teacher, student, seed: 1, learningRate: 0.1 };
  const fn = "distillLearner()";
  const cases: [Record<string, unknown>, string, string][] = [
    [{ temperature: 0 }, "RangeError", `${fn}: temperature must be a finite number > 0, got 0`],
    [{ temperature: -2 }, "RangeError", `${fn}: temperature must be a finite number > 0, got -2`],
    [{ alpha: 1.5 }, "RangeError", `${fn}: alpha must be a finite number in [0, 1], got 1.5`],
    [{ alpha: -0.1 }, "RangeError", `${fn}: alpha must be a finite number in [0, 1], got -0.1`],
    [
      { student: five },
      "RangeError",
      `${fn}: student must be a model with the teacher's 3 classes, got 5 classes`,
    ],
    [
      { student: big },
      "RangeError",
      `${fn}: student must be a model taking the teacher's input [null, 8, 8, 1], got [null, 6, 6, 1]`,
    ],
    [
      { student: teacher },
      "TypeError",
      `${fn}: student must be a model that shares no weight with teacher, got one`,
    ],
    [
      { student: sharing },
      "TypeError",
      `${fn}: student must be a model that shares no weight with teacher, got one`,
    ],
    [{ teacher: {} }, "TypeError", `${fn}: teacher must be a tf.LayersModel, got an object`],
    [{ seed: "1" }, "TypeError", `${fn}: seed must be a safe integer, got "1"`],
    [
      { totalSteps: 10 },
      "TypeError",
      `${fn}: totalSteps must be omitted when learningRate or optimizer is given (it shapes only ` +
      "the default schedule), got 10",
    ],
  ];
  for (const [change, name, message] of cases) {
    assert.throws(() => distillLearner({ ...base, ...change } as never), { name, message });
  }
  for (const m of [five, big, sharing, ...others]) m.dispose();
  for (const m of [teacher, student, teacherEncoder, studentEncoder]) m.dispose();
});

Deno.test("DistillLearner.step() refuses bad input, naming it, and changes nothing", async () => {
  const mixed = pair({
    alpha: 0.5,
    learningRate: 0.1,
    batchSize: undefined,
    totalSteps: undefined,
  });
  const pure = pair({ learningRate: 0.1, batchSize: undefined, totalSteps: undefined });
  const x = images(6);
  const labelledX = images(3, 8, 2);
  await mixed.learner.step(x, { labelled: { images: labelledX, labels: [0, 1, 2] } });
  const before = snapshot(mixed.student, pure.student);
  const fn = "DistillLearner.step()";
  const one = images(1);
  const cases: [typeof mixed, unknown, Record<string, unknown>, string, string][] = [
    [
      mixed,
      x,
      { labelled: { images: labelledX, labels: [0, 1] } },
      "RangeError",
      `${fn}: labelled.labels must be 3 integer labels in [0, 3), one per image, got 2 labels`,
    ],
    [
      mixed,
      x,
      { labelled: { images: labelledX, labels: [0, 1, 3] } },
      "RangeError",
      `${fn}: labelled.labels[2] must be an integer in [0, 3), got 3`,
    ],
    [
      mixed,
      x,
      { labelled: { images: labelledX } },
      "TypeError",
      `${fn}: labelled.labels must be given (or carried by the Dataset), got undefined`,
    ],
    [
      mixed,
      x,
      {},
      "TypeError",
      `${fn}: labelled must be a labelled batch when alpha < 1 (alpha is 0.5), got undefined`,
    ],
    [
      pure,
      x,
      { labelled: { images: labelledX, labels: [0, 1, 2] } },
      "TypeError",
      `${fn}: labelled must be omitted when alpha is 1 (pure distillation), got an object`,
    ],
    [
      pure,
      one,
      {},
      "RangeError",
      `${fn}: images must be a batch of at least 2 images, got [1, 8, 8, 1]`,
    ],
    [pure, x, { step: 0.5 }, "RangeError", `${fn}: step must be an integer >= 0, got 0.5`],
  ];
  for (const [which, images_, options, name, message] of cases) {
    await assert.rejects(which.learner.step(images_ as tf.Tensor4D, options), { name, message });
  }
  assert.equal(mixed.learner.steps, 1);
  assert.equal(pure.learner.steps, 0);
  assert.ok(sameBits(snapshot(mixed.student, pure.student), before));
  tf.dispose([x, labelledX, one]);
  mixed.dispose();
  pure.dispose();
});
