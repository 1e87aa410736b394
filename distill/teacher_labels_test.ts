import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { fromArrays } from "@selfsup/data";
import { classifierModel } from "./classifier_model.ts";
import { teacherLabelBatches, teacherLabels } from "./teacher_labels.ts";
import { convEncoder, images, sameBits, snapshot } from "./_testing.ts";

tf.enableProdMode();

function teacher() {
  const encoder = convEncoder(1);
  const model = classifierModel({ encoder, numClasses: 4, seed: 2 });
  // A trained-looking linear layer (the fresh one gives near-uniform probabilities).
  const linear = model.layers[model.layers.length - 1];
  linear.setWeights([tf.randomNormal([4, 4], 0, 3, "float32", 3), tf.tensor1d([1, -1, 0.5, 0])]);
  // Batch-norm moving statistics away from 0 and 1, so inference mode differs from training.
  const bn = encoder.getLayer("stage1_bn");
  const [gamma, beta] = bn.getWeights();
  bn.setWeights([gamma, beta, tf.fill([4], 0.3), tf.fill([4], 0.05)]);
  return { model, dispose: () => (model.dispose(), encoder.dispose()) };
}

// softmax(logits / t) in float64.
function softmaxRows(logits: Float32Array, k: number, t: number): Float64Array {
  const out = new Float64Array(logits.length);
  for (let r = 0; r < logits.length / k; r++) {
    const row = Array.from(logits.subarray(r * k, (r + 1) * k), (v) => v / t);
    const max = Math.max(...row);
    const sum = row.reduce((s, v) => s + Math.exp(v - max), 0);
    row.forEach((v, j) => out[r * k + j] = Math.exp(v - max) / sum);
  }
  return out;
}

Deno.test("teacherLabels() is softmax(logits / T) of the teacher in inference mode", () => {
  const { model, dispose } = teacher();
  const x = images(7);
  const before = snapshot(model);
  for (const temperature of [1, 0.5, 4]) {
    const labels = teacherLabels(model, x, { temperature, batchSize: 3 });
    const logits = model.predict(x) as tf.Tensor; // inference mode
    const expected = softmaxRows(logits.dataSync() as Float32Array, 4, temperature);
    assert.deepEqual(labels.shape, [7, 4]);
    const got = labels.dataSync();
    expected.forEach((e, i) => assert.ok(Math.abs(got[i] - e) < 1e-6, `${got[i]} vs ${e}`));
    tf.dispose([labels, logits]);
  }
  assert.ok(sameBits(snapshot(model), before), "the teacher is unchanged (moving statistics too)");
  x.dispose();
  dispose();
});

Deno.test("teacherLabelBatches() streams what teacherLabels() returns, from tensors or datasets", () => {
  const { model, dispose } = teacher();
  const pixels = new Uint8Array(5 * 64).map((_, i) => (i * 53) % 256);
  const dataset = fromArrays(pixels, [5, 8, 8, 1]);
  const x = tf.tensor4d(Float32Array.from(pixels, (p) => p / 255), [5, 8, 8, 1]);
  const all = teacherLabels(model, x, { temperature: 2 });
  const starts: number[] = [];
  const parts: tf.Tensor[] = [];
  for (
    const { start, probabilities } of teacherLabelBatches(model, dataset, {
      temperature: 2,
      batchSize: 2,
    })
  ) {
    starts.push(start);
    parts.push(probabilities);
  }
  assert.deepEqual(starts, [0, 2, 4]);
  assert.deepEqual(parts.map((p) => p.shape[0]), [2, 2, 1]);
  const streamed = tf.concat(parts);
  const [a, b] = [streamed.dataSync(), all.dataSync()];
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-6));
  tf.dispose([x, all, streamed, ...parts]);
  dispose();
});

Deno.test("teacherLabels() leaks no tensor but its result", () => {
  const { model, dispose } = teacher();
  const x = images(9);
  teacherLabels(model, x).dispose(); // warm up
  const before = tf.memory().numTensors;
  const labels = teacherLabels(model, x, { batchSize: 4 });
  assert.equal(tf.memory().numTensors, before + 1);
  labels.dispose();
  x.dispose();
  dispose();
});

Deno.test("teacherLabels() and teacherLabelBatches() refuse bad input when called", () => {
  const { model, dispose } = teacher();
  const x = images(3);
  const outside = tf.add(x, 1) as tf.Tensor4D;
  const [low, high] = [outside.min().dataSync()[0], outside.max().dataSync()[0]];
  const wrong = images(3, 9);
  for (const fn of ["teacherLabels", "teacherLabelBatches"] as const) {
    const call = (images_: unknown, options: object) =>
      fn === "teacherLabels"
        ? teacherLabels(model, images_ as tf.Tensor4D, options)
        : teacherLabelBatches(model, images_ as tf.Tensor4D, options); // not iterated
    const cases: [unknown, object, string, string][] = [
      [
        x,
        { temperature: 0 },
        "RangeError",
        `${fn}(): temperature must be a finite number > 0, got 0`,
      ],
      [
        x,
        { temperature: -1 },
        "RangeError",
        `${fn}(): temperature must be a finite number > 0, got -1`,
      ],
      [x, { batchSize: 0 }, "RangeError", `${fn}(): batchSize must be an integer >= 1, got 0`],
      [
        x,
        { t: 1 },
        "TypeError",
        `${fn}(): options must have only the keys temperature, batchSize, checkValues, got key "t"`,
      ],
      [
        wrong,
        {},
        "RangeError",
        `${fn}(): images must be images of shape [N, 8, 8, 1] (the model's input), got [3, 9, 9, 1]`,
      ],
      [
        outside,
        {},
        "RangeError",
        `${fn}(): images must be values in [0, 1], got values in [${low}, ${high}]`,
      ],
    ];
    for (const [images_, options, name, message] of cases) {
      assert.throws(
        () => call(images_, options),
        (e: Error) =>
          e.name === name && (e.message === message || new RegExp(message).test(e.message)),
      );
    }
  }
  assert.throws(() => teacherLabels({} as never, x), {
    name: "TypeError",
    message: "teacherLabels(): teacher must be a tf.LayersModel, got an object",
  });
  tf.dispose([x, outside, wrong]);
  dispose();
});
