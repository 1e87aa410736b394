import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { smallConvNet } from "./small_conv_net.ts";
import { conv2d, globalAveragePool, isBatchNorm, maxPool } from "./_test_utils.ts";
import {
  type F64,
  maxRelativeError,
  moments,
  normalize,
  randomizeWeights,
  randomTensor,
  relu,
  toF64,
  weightsOf,
} from "../internal/testing.ts";

tf.enableProdMode();

/** Float64 forward: [pool 2x2 (windows clipped at the edge)] -> conv 3x3 -> BN -> ReLU, then mean. */
function reference(model: tf.LayersModel, x: F64, stages: number, training: boolean): F64 {
  let y = x;
  for (let s = 1; s <= stages; s++) {
    if (s > 1) y = maxPool(y, 2, 2, 0, [Math.ceil(y.shape[1] / 2), Math.ceil(y.shape[2] / 2)]);
    y = conv2d(y, weightsOf(model, `stage${s}_conv`)[0], 1, 1);
    const [gamma, beta, movingMean, movingVariance] = weightsOf(model, `stage${s}_bn`);
    const { mean, variance } = training
      ? moments(y)
      : { mean: movingMean.data, variance: movingVariance.data };
    y = relu(normalize(y, mean, variance, gamma.data, beta.data, 1e-5));
  }
  return globalAveragePool(y);
}

Deno.test("smallConvNet() matches a float64 reference in inference and training mode", () => {
  const model = smallConvNet({ inputShape: [7, 10, 2], filters: [3, 5, 4], seed: 1 });
  assert.equal(randomizeWeights(model, 2, isBatchNorm), 4 * 3);
  const x = randomTensor([2, 7, 10, 2], 3);
  const inference = model.predict(x) as tf.Tensor;
  assert.ok(maxRelativeError(inference, reference(model, toF64(x), 3, false), 1e-3) < 1e-4);
  const expectedTraining = reference(model, toF64(x), 3, true);
  const training = model.apply(x, { training: true }) as tf.Tensor;
  assert.ok(maxRelativeError(training, expectedTraining, 1e-2) < 1e-3);
  tf.dispose([x, inference, training]);
  model.dispose();
});

Deno.test("smallConvNet() gives [N, last filters] for any input size and channel count", () => {
  for (const inputShape of [[1, 1, 1], [28, 28, 1], [32, 32, 3], [5, 13, 4]] as const) {
    const model = smallConvNet({ inputShape: [...inputShape], seed: 0 });
    const h = model.predict(tf.ones([2, ...inputShape])) as tf.Tensor;
    assert.deepEqual(h.shape, [2, 128]);
    h.dispose();
    model.dispose();
  }
  const custom = smallConvNet({ inputShape: [8, 8, 3], filters: [4, 6], seed: 0, name: "student" });
  assert.deepEqual(custom.outputs[0].shape, [null, 6]);
  assert.equal(custom.name, "student");
  assert.deepEqual(custom.layers.map((l) => l.name), [
    "input",
    "stage1_conv",
    "stage1_bn",
    "stage1_relu",
    "stage2_pool",
    "stage2_conv",
    "stage2_bn",
    "stage2_relu",
    "avg_pool",
  ]);
  custom.dispose();
});

Deno.test("smallConvNet() is deterministic in its seed", () => {
  const values = (seed: number) => {
    const m = smallConvNet({ inputShape: [8, 8, 3], filters: [4, 6], seed });
    const v = m.getWeights().map((w) => Array.from(w.dataSync()));
    m.dispose();
    return v;
  };
  assert.deepEqual(values(4), values(4));
  assert.notDeepEqual(values(4)[0], values(5)[0]);
});

Deno.test("smallConvNet() rejects bad options in the house format, TypeError for a type and RangeError for a range", () => {
  const ok = { inputShape: [8, 8, 3] as [number, number, number], seed: 0 };
  const filters = "filters must be a non-empty array of integers >= 1";
  const cases: [Record<string, unknown>, typeof Error, string][] = [
    [{ filters: [] }, RangeError, `${filters}, got []`],
    [{ filters: [4, 0] }, RangeError, `${filters}, got [4, 0]`],
    [{ filters: [2.5] }, RangeError, `${filters}, got [2.5]`],
    [{ filters: 8 }, TypeError, `${filters}, got 8`],
    [{ filters: ["8"] }, TypeError, `${filters}, got ["8"]`],
    [
      { inputShape: [8, -1, 3] },
      RangeError,
      "inputShape must be [height, width, channels] of integers >= 1, got [8, -1, 3]",
    ],
    [{ seed: "1" }, TypeError, 'seed must be a safe integer, got "1"'],
    [{ seed: Infinity }, RangeError, "seed must be a safe integer, got Infinity"],
    [{ name: 3 }, TypeError, "name must be a non-empty string, got 3"],
  ];
  for (const [override, type, message] of cases) {
    assert.throws(() => smallConvNet({ ...ok, ...override } as never), {
      name: type.name,
      message: `smallConvNet(): ${message}`,
    });
  }
  assert.throws(() => smallConvNet([] as never), {
    name: "TypeError",
    message: "smallConvNet(): options must be an object, got []",
  });
});
