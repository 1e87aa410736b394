import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import fc from "fast-check";
import { inferenceModel } from "./inference_model.ts";
import { resNet, resNet18, resNet50 } from "./res_net.ts";
import { smallConvNet } from "./small_conv_net.ts";
import { isBatchNorm } from "./_test_utils.ts";
import {
  assertAllClose,
  images,
  randomizeWeights,
  sameBits,
  snapshot,
} from "../internal/testing.ts";

tf.enableProdMode();

/** The class names of a model's layers, with how often each occurs. */
function layerCounts(model: tf.LayersModel): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const layer of model.layers) {
    counts[layer.getClassName()] = (counts[layer.getClassName()] ?? 0) + 1;
  }
  return counts;
}

/** Inference-mode outputs of `model` on `x`, as arrays (one per output). */
function outputs(model: tf.LayersModel, x: tf.Tensor | tf.Tensor[]): Float32Array[] {
  return tf.tidy(() => {
    const y = model.apply(x, { training: false }) as tf.Tensor | tf.Tensor[];
    return (Array.isArray(y) ? y : [y]).map((t) => Float32Array.from(t.dataSync()));
  });
}

/**
 * Builds the inference model of `encoder` (whose batch norms are first moved off their initial
 * statistics), checks that it gives the encoder's inference outputs within 1e-4 relative on
 * random images, that the encoder's weights are untouched and that nothing leaks (but the
 * `kept` tensors of layers called more than once, which tfjs's `dispose` keeps as it does the
 * original's: a layer's reference count counts its calls); returns the inference model's layer
 * counts.
 */
function checkEquivalent(
  encoder: tf.LayersModel,
  seed: number,
  kept = 0,
): Record<string, number> {
  assert.ok(randomizeWeights(encoder, seed, isBatchNorm) > 0);
  const [, h, w, c] = encoder.inputs[0]!.shape as number[];
  const xs = tf.randomUniform([3, h!, w!, c!], 0, 1, "float32", seed + 1);
  try {
    const before = snapshot(encoder);
    const expected = outputs(encoder, xs);
    const tensors = tf.memory().numTensors;
    const fast = inferenceModel(encoder);
    try {
      assert.equal(tf.memory().numTensors, tensors + fast.weights.length, "tensors kept");
      assertAllClose(outputs(fast, xs), expected, 1e-4);
      assert.equal(tf.memory().numTensors, tensors + fast.weights.length, "tensors after a call");
      assert.ok(sameBits(snapshot(encoder), before), "the encoder's weights changed");
      assertAllClose(outputs(encoder, xs), expected, 0);
      return layerCounts(fast);
    } finally {
      fast.dispose();
      assert.equal(tf.memory().numTensors, tensors + kept, "tensors after dispose");
    }
  } finally {
    xs.dispose();
  }
}

Deno.test("inferenceModel() folds every batch norm, ReLU and padding of a small-stem ResNet-18", () => {
  const encoder = resNet18({ inputShape: [12, 12, 1], widthMultiplier: 0.125, seed: 1 });
  const counts = checkEquivalent(encoder, 2);
  // 20 convolutions; the 3 strided 3x3 ones take their padding as PaddedConv2D; what is left
  // is the input, the 8 residual adds and their ReLUs, and the pooling.
  assert.deepEqual(counts, {
    InputLayer: 1,
    Conv2D: 17,
    SelfsupPaddedConv2D: 3,
    Add: 8,
    ReLU: 8,
    GlobalAveragePooling2D: 1,
  });
  encoder.dispose();
});

Deno.test("inferenceModel() matches a ResNet-18 with the ImageNet stem and its max-pool", () => {
  const encoder = resNet({
    depth: 18,
    inputShape: [20, 20, 3],
    stem: "imagenet",
    widthMultiplier: 0.125,
    seed: 3,
  });
  const counts = checkEquivalent(encoder, 4);
  // The 7x7 stride-2 stem convolution is padded too; the max-pool keeps its own padding.
  assert.equal(counts.SelfsupPaddedConv2D, 4);
  assert.equal(counts.ZeroPadding2D, 1);
  assert.equal(counts.MaxPooling2D, 1);
  assert.equal(counts.BatchNormalization, undefined);
  encoder.dispose();
});

Deno.test("inferenceModel() matches a bottleneck ResNet-50", () => {
  const encoder = resNet50({ inputShape: [8, 8, 2], widthMultiplier: 1 / 32, seed: 5 });
  const counts = checkEquivalent(encoder, 6);
  assert.equal(counts.BatchNormalization, undefined);
  assert.equal(counts.Conv2D! + counts.SelfsupPaddedConv2D!, 53);
  assert.equal(counts.ReLU, 16);
  encoder.dispose();
});

Deno.test("inferenceModel() matches ResNets and small ConvNets of any shape and width", () => {
  let runs = 0;
  fc.assert(
    fc.property(
      fc.record({
        family: fc.constantFrom("resnet18", "resnet34", "smallconvnet"),
        size: fc.integer({ min: 5, max: 14 }),
        channels: fc.integer({ min: 1, max: 3 }),
        width: fc.constantFrom(1 / 64, 1 / 32, 3 / 64),
        filters: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 3 }),
        seed: fc.integer({ min: 1, max: 1000 }),
      }),
      ({ family, size, channels, width, filters, seed }) => {
        const inputShape: [number, number, number] = [size, size, channels];
        const encoder = family === "smallconvnet"
          ? smallConvNet({ inputShape, filters, seed })
          : resNet({
            depth: family === "resnet18" ? 18 : 34,
            inputShape,
            widthMultiplier: width,
            seed,
          });
        try {
          const counts = checkEquivalent(encoder, seed + 1);
          assert.equal(counts.BatchNormalization, undefined);
          // Every ReLU left follows a residual add.
          assert.equal(counts.ReLU, counts.Add);
        } finally {
          encoder.dispose();
        }
        runs++;
      },
    ),
    { numRuns: 8, seed: 13 },
  );
  assert.equal(runs, 8);
});

Deno.test("inferenceModel() folds Dense and biased Conv2D layers and copies what it cannot fold", () => {
  const input = tf.input({ shape: [6, 6, 2] });
  const bn = (axis = -1) => tf.layers.batchNormalization({ axis, epsilon: 1e-3 });
  const conv = (args: { useBias?: boolean; activation?: "relu" | "linear" } = {}) =>
    tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: "same", useBias: true, ...args });
  const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) =>
    layer.apply(x) as tf.SymbolicTensor;
  // Folded: a biased conv, its batch norm and an Activation("relu").
  const a = apply(tf.layers.activation({ activation: "relu" }), apply(bn(), apply(conv(), input)));
  // Not folded: a conv whose output has two readers; a batch norm over the channels' axis 1;
  // a batch norm after a conv with its own (non-linear) activation.
  const twice = apply(conv(), a);
  const b = apply(tf.layers.add(), [apply(bn(), twice), twice]);
  const c = apply(bn(1), apply(conv({ useBias: false }), b));
  const d = apply(bn(), apply(conv({ activation: "relu" }), c));
  // A shared layer, called twice; a dense -> batch norm -> ReLU head, and a batch norm whose
  // output is also a model output (so the ReLU after it cannot be folded).
  const shared = tf.layers.dense({ units: 4 });
  const flat = apply(tf.layers.flatten(), d);
  const e = apply(shared, apply(shared, apply(tf.layers.dense({ units: 4 }), flat)));
  const f = apply(tf.layers.reLU(), apply(bn(), apply(tf.layers.dense({ units: 5 }), e)));
  const g = apply(bn(), apply(tf.layers.dense({ units: 5, useBias: false }), e));
  const model = tf.model({ inputs: input, outputs: [f, g, apply(tf.layers.reLU(), g)] });
  const counts = checkEquivalent(model, 7, 2);
  assert.deepEqual(counts, {
    InputLayer: 1,
    Conv2D: 4,
    Add: 1,
    BatchNormalization: 3, // after the conv read twice, on axis 1, after the relu conv
    Flatten: 1,
    Dense: 4, // the shared one once
    ReLU: 1,
  });
  model.dispose();
});

Deno.test("inferenceModel() folds a tf.sequential model too", () => {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [5, 5, 2], filters: 3, kernelSize: 3, useBias: false }),
      tf.layers.batchNormalization(),
      tf.layers.reLU(),
      tf.layers.globalAveragePooling2d({}),
    ],
  });
  assert.deepEqual(checkEquivalent(model, 8), {
    InputLayer: 1,
    Conv2D: 1,
    GlobalAveragePooling2D: 1,
  });
  model.dispose();
});

Deno.test("inferenceModel() makes a non-trainable model that saves and loads", async () => {
  const encoder = resNet18({ inputShape: [8, 8, 1], widthMultiplier: 1 / 16, seed: 9 });
  randomizeWeights(encoder, 10, isBatchNorm);
  const fast = inferenceModel(encoder);
  assert.equal(fast.trainableWeights.length, 0);
  assert.equal(fast.name, "resnet18_inference");
  let artifacts: tf.io.ModelArtifacts | undefined;
  await fast.save(tf.io.withSaveHandler((a) => {
    artifacts = a;
    return Promise.resolve({
      modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" },
    });
  }));
  const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
  const x = images(2, 8, 1, 11);
  assertAllClose(outputs(loaded, x), outputs(fast, x), 0);
  tf.dispose(x);
  for (const m of [loaded, fast, encoder]) m.dispose();
});

Deno.test("inferenceModel() refuses what is not a functional model of registered layers", () => {
  assert.throws(() => inferenceModel({} as tf.LayersModel), {
    name: "TypeError",
    message: "inferenceModel(): encoder must be a functional tf.LayersModel, got an object",
  });
  assert.throws(() => inferenceModel(tf.sequential()), {
    name: "TypeError",
    message: "inferenceModel(): encoder must be a functional tf.LayersModel, got a model that " +
      "is not built",
  });
  const inner = smallConvNet({ inputShape: [6, 6, 1], filters: [2], seed: 1 });
  const input = tf.input({ shape: [6, 6, 1] });
  const outer = tf.model({ inputs: input, outputs: inner.apply(input) as tf.SymbolicTensor });
  assert.throws(() => inferenceModel(outer), {
    name: "TypeError",
    message:
      /^inferenceModel\(\): encoder must be a functional tf\.LayersModel without nested models, got a model whose layer "small_convnet" is a model/,
  });

  class Unregistered extends tf.layers.Layer {
    static className = "UnregisteredForInferenceModelTest";
    override call(x: tf.Tensor | tf.Tensor[]) {
      return x;
    }
  }
  const custom = tf.model({
    inputs: input,
    outputs: new Unregistered({ name: "mine" }).apply(input) as tf.SymbolicTensor,
  });
  assert.throws(() => inferenceModel(custom), {
    name: "TypeError",
    message: /layer "mine" of the unregistered class UnregisteredForInferenceModelTest$/,
  });
  inner.dispose();
});
