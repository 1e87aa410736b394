import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { blasMissing } from "./_test_util.ts";
import type { BlasBackend } from "./blas/backend.ts";
import { BLAS_KERNELS, type BlasBackendOptions, registerBlasBackend } from "./blas_backend.ts";

// Not ./blas/_test_util.ts, which registers blas and installs the relu gradient on import.
const ignoreBlas = blasMissing !== undefined;
/** tfjs's own Relu gradient, taken before anything in this file registers blas. */
const tfjsReluGradient = tf.getGradient("Relu");
tf.enableProdMode();

Deno.test({
  name: "registerBlasBackend() registers every cpu kernel under blas, once",
  ignore: ignoreBlas,
  fn: () => {
    const first = registerBlasBackend();
    assert.equal(first.name, "blas");
    assert.ok(first.library.length > 0);
    assert.equal(registerBlasBackend(), first);
    const blasKernels = new Set(tf.getKernelsForBackend("blas").map((k) => k.kernelName));
    for (const k of tf.getKernelsForBackend("cpu")) assert.ok(blasKernels.has(k.kernelName));
    for (const name of Object.keys(BLAS_KERNELS)) {
      assert.equal(tf.getKernel(name, "blas")?.kernelFunc, BLAS_KERNELS[name], name);
    }
  },
});

Deno.test("registerBlasBackend() rejects bad options, naming them, before opening anything", () => {
  const cases: [unknown, string, string][] = [
    [{ threads: 0 }, "RangeError", "registerBlasBackend(): threads must be an integer >= 1, got 0"],
    [
      { threads: 1.5 },
      "RangeError",
      "registerBlasBackend(): threads must be an integer >= 1, got 1.5",
    ],
    [
      { poolBytes: -1 },
      "RangeError",
      "registerBlasBackend(): poolBytes must be an integer >= 0, got -1",
    ],
    [
      { priority: NaN },
      "RangeError",
      "registerBlasBackend(): priority must be a finite number, got NaN",
    ],
    [{ libraryPath: 3 }, "TypeError", "registerBlasBackend(): libraryPath must be a string, got 3"],
    [
      { oneDnn: null },
      "TypeError",
      "registerBlasBackend(): oneDnn must be a boolean or a library path, got null",
    ],
    ["blas", "TypeError", 'registerBlasBackend(): options must be an object, got "blas"'],
  ];
  for (const [options, name, message] of cases) {
    assert.throws(() => registerBlasBackend(options as BlasBackendOptions), { name, message });
  }
  assert.equal(cases.length, 7);
});

Deno.test({
  name: "registerBlasBackend() changes no tfjs gradient and says why oneDNN is not in use",
  ignore: ignoreBlas,
  fn: () => {
    const registration = registerBlasBackend();
    assert.equal(tf.getGradient("Relu"), tfjsReluGradient);
    assert.equal(registration.oneDnn === undefined, registration.oneDnnUnavailable !== undefined);
  },
});

async function onBlas<T>(f: (backend: BlasBackend) => T | Promise<T>): Promise<T> {
  registerBlasBackend();
  assert.ok(await tf.setBackend("blas"));
  try {
    return await f(tf.backend() as BlasBackend);
  } finally {
    await tf.setBackend("cpu");
  }
}

Deno.test({
  name: "blas pools disposed outputs and reuses them for the next output of that size",
  ignore: ignoreBlas,
  fn: () =>
    onBlas((backend) => {
      const x = tf.randomNormal([64, 100], 0, 1, "float32", 1);
      const pooled = backend.pooledBytes;
      tf.relu(x).dispose();
      assert.equal(backend.pooledBytes, pooled + 64 * 100 * 4);
      const y = tf.neg(x);
      assert.equal(backend.pooledBytes, pooled);
      tf.dispose([x, y]);
    }),
});

Deno.test({
  name: "blas never reuses a buffer that was read out with dataSync()",
  ignore: ignoreBlas,
  fn: () =>
    onBlas(() => {
      const x = tf.randomNormal([64, 100], 0, 1, "float32", 2);
      const y = tf.relu(x);
      const read = y.dataSync();
      const copy = Float32Array.from(read);
      y.dispose();
      for (let i = 0; i < 3; i++) tf.neg(x).dispose();
      assert.deepEqual(read, copy);
      x.dispose();
    }),
});

Deno.test({
  name: "blas never reuses a buffer that a cpu kernel shares as a view (SplitV)",
  ignore: ignoreBlas,
  fn: () =>
    onBlas(() => {
      const x = tf.randomNormal([64, 100], 0, 1, "float32", 3);
      const y = tf.relu(x);
      // Split along axis 0: the cpu kernel returns subarray views of y's buffer.
      const [head, tail] = tf.split(y, 2, 0);
      const expected = Float32Array.from(tf.relu(tf.split(x, 2, 0)[0]).dataSync());
      y.dispose();
      for (let i = 0; i < 3; i++) tf.neg(x).dispose();
      assert.deepEqual(head.dataSync(), expected);
      tf.dispose([x, head, tail]);
    }),
});

/** A small convnet with batch norm, trained with Adam on a fixed batch; returns the losses. */
async function trainSmallConvNet(backend: string, steps: number): Promise<number[]> {
  assert.ok(await tf.setBackend(backend));
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [8, 8, 2],
        filters: 16,
        kernelSize: 3,
        padding: "same",
        useBias: false,
        kernelInitializer: tf.initializers.heNormal({ seed: 1 }),
      }),
      tf.layers.batchNormalization(),
      tf.layers.reLU(),
      tf.layers.conv2d({
        filters: 20,
        kernelSize: 3,
        strides: 2,
        padding: "same",
        kernelInitializer: tf.initializers.heNormal({ seed: 2 }),
      }),
      tf.layers.batchNormalization(),
      tf.layers.reLU(),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 4, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
    ],
  });
  const x = tf.randomUniform([6, 8, 8, 2], 0, 1, "float32", 4);
  const target = tf.randomNormal([6, 4], 0, 1, "float32", 5);
  const optimizer = tf.train.adam(0.01);
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const loss = optimizer.minimize(
      () => tf.losses.meanSquaredError(target, model.apply(x, { training: true }) as tf.Tensor),
      true,
    )!;
    losses.push(loss.dataSync()[0]);
    loss.dispose();
  }
  tf.dispose([x, target]);
  optimizer.dispose();
  model.dispose();
  return losses;
}

Deno.test({
  name: "training a small convnet gives the same losses on blas and cpu (within 5e-5)",
  ignore: ignoreBlas,
  fn: async () => {
    registerBlasBackend();
    const blas = await trainSmallConvNet("blas", 5);
    const cpu = await trainSmallConvNet("cpu", 5);
    assert.ok(blas[4] < blas[0], `loss should fall: ${blas}`);
    assert.equal(blas.length, cpu.length);
    blas.forEach((loss, i) =>
      assert.ok(Math.abs(loss - cpu[i]) < 5e-5, `step ${i}: blas ${loss} vs cpu ${cpu[i]}`)
    );
  },
});
