import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { resNet, resNet18, resNet34, resNet50, type ResNetStem } from "./res_net.ts";
import { smallConvNet } from "./small_conv_net.ts";
import { add, conv2d, globalAveragePool, isBatchNorm, maxPool } from "./_test_utils.ts";
import {
  assertAllClose,
  type F64,
  maxRelativeError,
  moments,
  normalize,
  randomizeWeights,
  randomTensor,
  relu,
  toF64,
  weightsOf,
  withReferenceBatchNormKernels,
} from "../internal/testing.ts";

tf.enableProdMode();

const size = (w: { shape: (number | null)[] }) =>
  w.shape.reduce((n: number, d) => n * (d as number), 1);
const trainableCount = (m: tf.LayersModel) => m.trainableWeights.reduce((n, w) => n + size(w), 0);

/**
 * Float64 ResNet forward written from torchvision's definition (symmetric padding, stride in
 * the first 3x3 of a basic block and in the 3x3 of a bottleneck, projection shortcut when the
 * shape changes), reading each weight from the layer of the matching name. In training mode it
 * normalises with batch statistics and records them per batch-norm layer.
 */
function referenceResNet(
  model: tf.LayersModel,
  x: F64,
  depth: 18 | 50,
  stem: ResNetStem,
  training: boolean,
) {
  const stats = new Map<string, { mean: Float64Array; variance: Float64Array }>();
  const bn = (y: F64, name: string) => {
    const [gamma, beta, movingMean, movingVariance] = weightsOf(model, name);
    if (!training) {
      return normalize(y, movingMean.data, movingVariance.data, gamma.data, beta.data, 1e-5);
    }
    const m = moments(y);
    stats.set(name, m);
    return normalize(y, m.mean, m.variance, gamma.data, beta.data, 1e-5);
  };
  const conv = (y: F64, name: string, stride: number, pad: number) =>
    conv2d(y, weightsOf(model, name)[0], stride, pad);

  let y: F64;
  if (stem === "imagenet") {
    y = relu(bn(conv(x, "stem_conv", 2, 3), "stem_bn"));
    const out = [1, 2].map((a) => Math.floor((y.shape[a] + 2 - 3) / 2) + 1);
    y = maxPool(y, 3, 2, 1, out);
  } else {
    y = relu(bn(conv(x, "stem_conv", 1, 1), "stem_bn"));
  }
  const layout = depth === 18 ? [2, 2, 2, 2] : [3, 4, 6, 3];
  layout.forEach((blocks, s) => {
    for (let b = 0; b < blocks; b++) {
      const p = `stage${s + 1}_block${b + 1}`;
      const stride = s > 0 && b === 0 ? 2 : 1;
      let r: F64;
      if (depth === 18) {
        r = relu(bn(conv(y, `${p}_conv1`, stride, 1), `${p}_bn1`));
        r = bn(conv(r, `${p}_conv2`, 1, 1), `${p}_bn2`);
      } else {
        r = relu(bn(conv(y, `${p}_conv1`, 1, 0), `${p}_bn1`));
        r = relu(bn(conv(r, `${p}_conv2`, stride, 1), `${p}_bn2`));
        r = bn(conv(r, `${p}_conv3`, 1, 0), `${p}_bn3`);
      }
      const needsProjection = stride !== 1 || y.shape[3] !== r.shape[3];
      const shortcut = needsProjection
        ? bn(conv(y, `${p}_shortcut_conv`, stride, 0), `${p}_shortcut_bn`)
        : y;
      y = relu(add(r, shortcut));
    }
  });
  return { h: globalAveragePool(y), stats };
}

const randomImages = (shape: number[], seed: number) => randomTensor(shape, seed) as tf.Tensor4D;

Deno.test("resNet() has torchvision's trainable parameter counts without the fc layer; countParams() adds the moving statistics", () => {
  // torchvision resnet18/34/50 totals minus fc (512*1000+1000 or 2048*1000+1000).
  const expected = { 18: 11_176_512, 34: 21_284_672, 50: 23_508_032 } as const;
  for (const depth of [18, 34, 50] as const) {
    const model = resNet({ depth, inputShape: [224, 224, 3], stem: "imagenet", seed: 0 });
    assert.equal(trainableCount(model), expected[depth], `ResNet-${depth}`);
    // The only non-trainable weights are the moving mean and variance of each batch norm.
    const bnChannels = model.layers
      .filter((l) => l.getClassName() === "BatchNormalization")
      .reduce((n, l) => n + size(l.getWeights()[0]), 0);
    assert.equal(model.nonTrainableWeights.reduce((n, w) => n + size(w), 0), 2 * bnChannels);
    assert.equal(model.countParams(), expected[depth] + 2 * bnChannels);
    if (depth === 18) assert.equal(model.countParams() - expected[depth], 9_600); // README
    assert.deepEqual(model.outputs[0].shape, [null, depth === 50 ? 2048 : 512]);
    model.dispose();
  }
});

Deno.test("resNet() inference matches a float64 torchvision-style reference (ResNet-18, ImageNet stem, odd sizes)", () => {
  const model = resNet18({
    inputShape: [21, 18, 3],
    stem: "imagenet",
    widthMultiplier: 1 / 16,
    seed: 3,
  });
  assert.equal(randomizeWeights(model, 11, isBatchNorm), 4 * 20);
  const x = randomImages([2, 21, 18, 3], 5);
  const h = model.predict(x) as tf.Tensor;
  const { h: expected } = referenceResNet(model, toF64(x), 18, "imagenet", false);
  assert.ok(maxRelativeError(h, expected, 1e-3) < 1e-4);
  tf.dispose([x, h]);
  model.dispose();
});

Deno.test("resNet() inference matches a float64 reference (ResNet-50 v1.5 bottlenecks, small stem)", () => {
  const model = resNet50({ inputShape: [7, 6, 2], widthMultiplier: 1 / 32, seed: 4 });
  assert.equal(randomizeWeights(model, 12, isBatchNorm), 4 * 53);
  const x = randomImages([2, 7, 6, 2], 6);
  const h = model.predict(x) as tf.Tensor;
  assert.deepEqual(h.shape, [2, 64]);
  const { h: expected } = referenceResNet(model, toF64(x), 50, "small", false);
  assert.ok(maxRelativeError(h, expected, 1e-3) < 1e-4);
  tf.dispose([x, h]);
  model.dispose();
});

Deno.test("resNet() in training mode normalises with batch statistics and updates every moving average", () => {
  const model = resNet18({ inputShape: [9, 9, 2], widthMultiplier: 1 / 16, seed: 8 });
  assert.equal(randomizeWeights(model, 13, isBatchNorm), 4 * 20);
  const before = new Map(
    model.layers.filter((l) => l.getClassName() === "BatchNormalization")
      .map((l) => [l.name, l.getWeights().map(toF64)]),
  );
  const x = randomImages([3, 9, 9, 2], 7);
  const { h: expected, stats } = referenceResNet(model, toF64(x), 18, "small", true);

  // Inference calls leave the moving averages alone.
  tf.dispose([model.predict(x) as tf.Tensor, model.apply(x, { training: false }) as tf.Tensor]);
  for (const [name, weights] of before) {
    assert.deepEqual(weightsOf(model, name)[2].data, weights[2].data, name);
    assert.deepEqual(weightsOf(model, name)[3].data, weights[3].data, name);
  }

  const h = model.apply(x, { training: true }) as tf.Tensor;
  assert.ok(maxRelativeError(h, expected, 1e-2) < 1e-3);
  assert.equal(stats.size, before.size);
  for (const [name, { mean, variance }] of stats) {
    const [, , movingMean, movingVariance] = weightsOf(model, name);
    const [, , oldMean, oldVariance] = before.get(name)!;
    mean.forEach((m, c) => {
      assert.ok(Math.abs(movingMean.data[c] - (0.9 * oldMean.data[c] + 0.1 * m)) < 1e-5, name);
      const v = 0.9 * oldVariance.data[c] + 0.1 * variance[c];
      assert.ok(Math.abs(movingVariance.data[c] - v) < 1e-5 * (1 + v), name);
    });
  }
  tf.dispose([x, h]);
  model.dispose();
});

Deno.test("resNet() gives outputs of shape [N, D] for several input sizes, channel counts and stems", () => {
  const cases: [number[], ResNetStem | undefined, 18 | 34 | 50, number][] = [
    [[32, 32, 3], undefined, 18, 64],
    [[28, 28, 1], "small", 34, 64],
    [[40, 24, 4], "imagenet", 18, 64],
    [[1, 1, 2], "imagenet", 50, 256],
    [[17, 5, 3], undefined, 50, 256],
  ];
  for (const [inputShape, stem, depth, d] of cases) {
    const model = resNet({
      depth,
      inputShape: inputShape as [number, number, number],
      stem,
      widthMultiplier: 1 / 8,
      seed: 1,
    });
    const x = tf.ones([2, ...inputShape]);
    const h = model.predict(x) as tf.Tensor;
    assert.deepEqual(h.shape, [2, d], JSON.stringify(inputShape));
    tf.dispose([x, h]);
    model.dispose();
  }
});

Deno.test("resNet() picks the small stem for images up to 32x32 and the ImageNet stem above", () => {
  const small = resNet18({ inputShape: [32, 32, 3], widthMultiplier: 1 / 16, seed: 0 });
  const large = resNet18({ inputShape: [33, 32, 3], widthMultiplier: 1 / 16, seed: 0 });
  assert.deepEqual(small.getLayer("stem_conv").getWeights()[0].shape, [3, 3, 3, 4]);
  assert.ok(!small.layers.some((l) => l.name === "stem_pool"));
  assert.deepEqual(large.getLayer("stem_conv").getWeights()[0].shape, [7, 7, 3, 4]);
  assert.equal(large.getLayer("stem_pool").getClassName(), "MaxPooling2D");
  small.dispose();
  large.dispose();
});

Deno.test("resNet() names layers by structure, whatever was built before", () => {
  const first = resNet34({ inputShape: [8, 8, 3], widthMultiplier: 1 / 16, seed: 9 });
  // tfjs auto-names would advance here (dense_1, conv2d_5, ...); ours must not.
  const noise = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });
  const second = resNet34({ inputShape: [8, 8, 3], widthMultiplier: 1 / 16, seed: 9 });
  const names = first.layers.map((l) => l.name);
  assert.deepEqual(second.layers.map((l) => l.name), names);
  assert.equal(new Set(names).size, names.length);
  for (const name of ["input", "stem_conv", "stage2_block1_conv1", "stage2_block1_shortcut_bn"]) {
    assert.ok(names.includes(name), name);
  }
  assert.equal(names.at(-1), "avg_pool");
  assert.equal(first.name, "resnet34");
  [first, second, noise].forEach((m) => m.dispose());
});

Deno.test("resNet() with the same seed gives the same weights, another seed other weights", () => {
  const build = (seed: number) =>
    resNet18({ inputShape: [8, 8, 3], widthMultiplier: 1 / 16, seed });
  const [a, b, c] = [build(1), build(1), build(2)];
  const values = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));
  assert.deepEqual(values(a), values(b));
  const kernelsA = values(a).filter((_, i) => a.weights[i].originalName.endsWith("kernel"));
  const kernelsC = values(c).filter((_, i) => c.weights[i].originalName.endsWith("kernel"));
  kernelsA.forEach((k, i) => assert.notDeepEqual(k, kernelsC[i]));
  // Each layer has its own random stream: no two kernels of the same shape are equal.
  const stage1 = ["stage1_block1_conv1", "stage1_block1_conv2", "stage1_block2_conv1"]
    .map((n) => Array.from(a.getLayer(n).getWeights()[0].dataSync()));
  assert.notDeepEqual(stage1[0], stage1[1]);
  assert.notDeepEqual(stage1[0], stage1[2]);
  [a, b, c].forEach((m) => m.dispose());
});

Deno.test("resNet() starts convolutions from an untruncated He normal (fan-out) and BN at 1 and 0", () => {
  const model = resNet18({ inputShape: [8, 8, 3], seed: 5 });
  const kernel = model.getLayer("stage4_block2_conv2").getWeights()[0]; // [3, 3, 512, 512]
  const values = kernel.dataSync() as Float32Array;
  const sd = Math.sqrt(2 / (3 * 3 * 512));
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
  assert.ok(Math.abs(mean) < 1e-3 * sd * 10, `mean ${mean}`);
  assert.ok(Math.abs(std / sd - 1) < 0.01, `std ${std} vs ${sd}`);
  // 2.4M normal draws reach beyond 4 sd; a truncated normal stops at 2.
  assert.ok(values.some((v) => Math.abs(v) > 4 * sd));
  const [gamma, beta, movingMean, movingVariance] = model.getLayer("stem_bn").getWeights();
  assert.ok(gamma.dataSync().every((v) => v === 1) && beta.dataSync().every((v) => v === 0));
  assert.ok(movingMean.dataSync().every((v) => v === 0));
  assert.ok(movingVariance.dataSync().every((v) => v === 1));
  const config = model.getLayer("stem_bn").getConfig();
  assert.equal(config.momentum, 0.9);
  assert.equal(config.epsilon, 1e-5);
  model.dispose();
});

Deno.test("resNet() forward and backward leak no tensors", () => {
  const model = resNet18({
    inputShape: [16, 16, 3],
    stem: "imagenet",
    widthMultiplier: 0.25,
    seed: 2,
  });
  const x = randomImages([2, 16, 16, 3], 1);
  const optimizer = tf.train.sgd(0.01);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const step = () =>
    optimizer.minimize(
      () => (model.apply(x, { training: true }) as tf.Tensor).square().mean() as tf.Scalar,
      false,
      vars,
    );
  step(); // the optimizer creates no slots for SGD, but warm up anyway
  const before = tf.memory().numTensors;
  step();
  step();
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
  optimizer.dispose();
  model.dispose();
});

Deno.test("resNet() rejects bad options in the house format, TypeError for a type and RangeError for a range", () => {
  const ok = { depth: 18 as const, inputShape: [8, 8, 3] as [number, number, number], seed: 0 };
  const shape = "inputShape must be [height, width, channels] of integers >= 1";
  const cases: [Record<string, unknown>, typeof Error, string][] = [
    [{ depth: 20 }, RangeError, "depth must be one of 18, 34, 50, got 20"],
    [{ depth: "18" }, TypeError, 'depth must be one of 18, 34, 50, got "18"'],
    [{ inputShape: [0, 8, 3] }, RangeError, `${shape}, got [0, 8, 3]`],
    [{ inputShape: [8, 8] }, TypeError, `${shape}, got [8, 8]`],
    [{ inputShape: [8, "8", 3] }, TypeError, `${shape}, got [8, "8", 3]`],
    [{ stem: "cifar" }, RangeError, 'stem must be one of "imagenet", "small", got "cifar"'],
    [{ stem: 1 }, TypeError, 'stem must be "imagenet" or "small", got 1'],
    [
      { widthMultiplier: 0.01 },
      RangeError,
      "widthMultiplier must be a finite number >= 0.015625, got 0.01",
    ],
    [
      { widthMultiplier: NaN },
      RangeError,
      "widthMultiplier must be a finite number >= 0.015625, got NaN",
    ],
    [{ seed: 1.5 }, RangeError, "seed must be a safe integer, got 1.5"],
    [{ seed: 2 ** 53 }, RangeError, "seed must be a safe integer, got 9007199254740992"],
    [{ seed: "1" }, TypeError, 'seed must be a safe integer, got "1"'],
    [{ seed: undefined }, TypeError, "seed must be a safe integer, got undefined"],
    [{ name: "" }, TypeError, 'name must be a non-empty string, got ""'],
  ];
  const before = tf.memory().numTensors;
  for (const [override, type, message] of cases) {
    assert.throws(() => resNet({ ...ok, ...override } as never), {
      name: type.name,
      message: `resNet(): ${message}`,
    });
  }
  assert.throws(() => resNet(undefined as never), {
    name: "TypeError",
    message: "resNet(): options must be an object, got undefined",
  });
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("resNet18(), resNet34() and resNet50() name themselves in their errors", () => {
  for (
    const [fn, build] of [["resNet18", resNet18], ["resNet34", resNet34], [
      "resNet50",
      resNet50,
    ]] as const
  ) {
    assert.throws(() => build({ inputShape: [8, 8, 3], seed: 0.5 }), {
      name: "RangeError",
      message: `${fn}(): seed must be a safe integer, got 0.5`,
    });
    assert.throws(() => build(null as never), {
      name: "TypeError",
      message: `${fn}(): options must be an object, got null`,
    });
  }
});

Deno.test("resNet() trains through the fused batch-norm kernel with the op chain's results", async () => {
  // Outputs and moving statistics after one training call, and the input gradient.
  const run = () => {
    const model = resNet18({ inputShape: [6, 6, 2], widthMultiplier: 1 / 32, seed: 4 });
    const x = randomImages([3, 6, 6, 2], 9);
    const f = (x: tf.Tensor) => (model.apply(x, { training: true }) as tf.Tensor).square().sum();
    const dx = tf.grad(f)(x);
    const h = model.apply(x, { training: true }) as tf.Tensor;
    const out = [h, dx, ...model.nonTrainableWeights.map((w) => w.read())].map((t) =>
      Float32Array.from(t.dataSync())
    );
    tf.dispose([x, dx, h]);
    model.dispose();
    return out;
  };
  const chain = run();
  const fused = await withReferenceBatchNormKernels(run);
  assert.equal(fused.length, 2 + 2 * 20);
  assertAllClose(fused, chain, 2e-4);
});

Deno.test("resNet() and smallConvNet() draw the same weights for a seed as earlier releases", () => {
  const first = (m: tf.LayersModel, layer: string) =>
    Array.from(m.getLayer(layer).getWeights()[0].dataSync().slice(0, 3));
  const resnet = resNet18({ inputShape: [8, 8, 3], widthMultiplier: 1 / 16, seed: 1 });
  const small = smallConvNet({ inputShape: [8, 8, 3], filters: [4], seed: 2 ** 40 + 3 });
  // Values from the commit before layerSeed moved to @selfsup/internal (float32, exact).
  assert.deepEqual(first(resnet, "stem_conv"), [
    -0.2149808555841446,
    -0.13971303403377533,
    0.3780859708786011,
  ]);
  assert.deepEqual(first(resnet, "stage4_block2_conv2"), [
    -0.00016381946625187993,
    0.033111821860075,
    0.038864459842443466,
  ]);
  assert.deepEqual(first(small, "stage1_conv"), [
    0.041357412934303284,
    0.3085474669933319,
    -0.13806548714637756,
  ]);
  resnet.dispose();
  small.dispose();
});
