import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import {
  batchNormGradConfig,
  installBatchNormGradient,
  meanGradConfig,
} from "./batch_norm_gradient.ts";
import { assertClose, ignoreBlas } from "./blas/_test_util.ts";

tf.enableProdMode();
const tfjsGradient = tf.getGradient("FusedBatchNorm")!;
const tfjsMeanGradient = tf.getGradient("Mean")!;

const shape = [2, 3, 2, 3];
const channels = 3;

/** Deterministic test data in float64. */
function data(n: number, seed: number, lo = -1, hi = 1): number[] {
  const out: number[] = [];
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 16807) % 2147483647;
    out.push(lo + (hi - lo) * (s / 2147483647));
  }
  return out;
}

const size = shape.reduce((a, b) => a * b, 1);
const inputs = {
  x: data(size, 11, -2, 2),
  mean: data(channels, 12),
  variance: data(channels, 13, 0.2, 1.5),
  offset: data(channels, 14),
  scale: data(channels, 15, 0.5, 2),
  w: data(size, 16), // the loss weights
};
const eps = 1e-3;
type Name = "x" | "mean" | "variance" | "offset" | "scale";

/** loss = sum(w * batchNorm(...)) in float64, written independently of tfjs. */
function lossF64(v: Record<Name, number[]>, trainingStats: boolean): number {
  let { mean, variance } = v;
  if (trainingStats) {
    // Statistics of x itself, as tf.layers.batchNormalization uses in training.
    mean = new Array(channels).fill(0);
    variance = new Array(channels).fill(0);
    const n = size / channels;
    v.x.forEach((xi, i) => (mean[i % channels] += xi / n));
    v.x.forEach((xi, i) => (variance[i % channels] += (xi - mean[i % channels]) ** 2 / n));
  }
  let loss = 0;
  v.x.forEach((xi, i) => {
    const c = i % channels;
    const y = (xi - mean[c]) * v.scale[c] / Math.sqrt(variance[c] + eps) + v.offset[c];
    loss += inputs.w[i] * y;
  });
  return loss;
}

/** Central finite differences of lossF64 with respect to every input. */
function finiteDifferences(trainingStats: boolean): Record<Name, number[]> {
  const names: Name[] = trainingStats ? ["x", "offset", "scale"] : [
    "x",
    "mean",
    "variance",
    "offset",
    "scale",
  ];
  const out = {} as Record<Name, number[]>;
  const h = 1e-5;
  for (const name of names) {
    out[name] = inputs[name].map((_, i) => {
      const at = (d: number) => {
        const v = { ...inputs, [name]: inputs[name].slice() };
        v[name][i] += d;
        return lossF64(v, trainingStats);
      };
      return (at(h) - at(-h)) / (2 * h);
    });
  }
  return out;
}

/** tfjs gradients of the same loss on the current backend and gradient registration. */
function tfjsGradients(trainingStats: boolean): Record<string, Float32Array> {
  const grads = tf.tidy((): Record<string, tf.Tensor> => {
    const t = {
      x: tf.tensor(inputs.x, shape),
      mean: tf.tensor1d(inputs.mean),
      variance: tf.tensor1d(inputs.variance),
      offset: tf.tensor1d(inputs.offset),
      scale: tf.tensor1d(inputs.scale),
    };
    const w = tf.tensor(inputs.w, shape);
    if (trainingStats) {
      const f = (x: tf.Tensor, offset: tf.Tensor, scale: tf.Tensor) => {
        const { mean, variance } = tf.moments(x, [0, 1, 2]);
        return tf.sum(tf.mul(w, tf.batchNorm(x, mean, variance, offset, scale, eps)));
      };
      const [x, offset, scale] = tf.grads(f)([t.x, t.offset, t.scale]);
      return { x, offset, scale };
    }
    const f = (x: tf.Tensor, m: tf.Tensor, v: tf.Tensor, o: tf.Tensor, s: tf.Tensor) =>
      tf.sum(tf.mul(w, tf.batchNorm(x, m, v, o, s, eps)));
    const g = tf.grads(f)([t.x, t.mean, t.variance, t.offset, t.scale]);
    return { x: g[0], mean: g[1], variance: g[2], offset: g[3], scale: g[4] };
  });
  const values = Object.fromEntries(
    Object.entries(grads).map(([name, g]) => [name, Float32Array.from(g.dataSync())]),
  );
  tf.dispose(Object.values(grads));
  return values;
}

async function checkBackend(backend: string) {
  assert.ok(await tf.setBackend(backend));
  installBatchNormGradient();
  for (const trainingStats of [false, true]) {
    const before = tf.memory().numTensors;
    const ours = tfjsGradients(trainingStats);
    assert.equal(tf.memory().numTensors, before, "leaked tensors");
    const fd = finiteDifferences(trainingStats);
    tf.registerGradient(tfjsGradient);
    tf.registerGradient(tfjsMeanGradient);
    const theirs = tfjsGradients(trainingStats);
    tf.registerGradient(batchNormGradConfig);
    tf.registerGradient(meanGradConfig);
    for (const name of Object.keys(fd) as Name[]) {
      const what = `${backend} ${trainingStats ? "batch stats" : "given stats"} d${name}`;
      assertClose(ours[name], fd[name], 2e-3, `${what} vs finite differences`);
      assertClose(ours[name], theirs[name], 1e-5, `${what} vs tfjs's gradient`);
    }
  }
}

Deno.test("the batch norm gradient matches finite differences and tfjs's own on cpu", async () => {
  await checkBackend("cpu");
});

Deno.test({
  name: "the batch norm gradient matches finite differences and tfjs's own on blas",
  ignore: ignoreBlas,
  fn: async () => {
    await checkBackend("blas");
    await tf.setBackend("cpu");
  },
});

Deno.test("installBatchNormGradient() installs once and replaces tfjs's gradients", () => {
  installBatchNormGradient();
  assert.equal(installBatchNormGradient(), false);
  assert.equal(tf.getGradient("FusedBatchNorm"), batchNormGradConfig);
  assert.equal(tf.getGradient("Mean"), meanGradConfig);
});

Deno.test("the Mean gradient equals tfjs's own for any axes", () => {
  for (const axes of [[0], [1], [2], [0, 2], [0, 1, 2], [-1]]) {
    const [ours, theirs] = [meanGradConfig, tfjsMeanGradient].map((config) => {
      tf.registerGradient(config);
      const x = tf.tensor(inputs.x.slice(0, 24), [2, 3, 4]);
      const w = tf.tensor(inputs.w.slice(0, 24), [2, 3, 4]);
      const g = tf.grad((x) => tf.sum(tf.mul(tf.mean(x, axes, true), tf.mean(w, axes, true))))(x);
      const values = Array.from(g.dataSync());
      tf.dispose([x, w, g]);
      return values;
    });
    installBatchNormGradient();
    tf.registerGradient(meanGradConfig);
    assert.deepEqual(ours, theirs, `axes ${axes}`);
  }
});

Deno.test("the batch norm gradient handles statistics shaped like x (no reduction)", () => {
  installBatchNormGradient();
  const [ours, theirs] = [batchNormGradConfig, tfjsGradient].map((config) => {
    tf.registerGradient(config);
    return tf.tidy(() => {
      const x = tf.tensor(inputs.x.slice(0, 12), [2, 1, 2, 3]);
      const mean = tf.tensor(inputs.w.slice(0, 12), [2, 1, 2, 3]);
      const variance = tf.fill([2, 1, 2, 3], 0.7);
      const scale = tf.fill([2, 1, 2, 3], 1.5);
      const g1 = tf.grads((x: tf.Tensor, m: tf.Tensor, v: tf.Tensor, s: tf.Tensor) =>
        tf.sum(tf.square(tf.batchNorm(x, m, v, tf.fill([2, 1, 2, 3], -0.5), s)))
      )([x, mean, variance, scale]);
      return g1.map((g) => Array.from(g.dataSync()));
    });
  });
  tf.registerGradient(batchNormGradConfig);
  ours.forEach((g, i) => assertClose(g, theirs[i], 1e-5, `input ${i}`));
});
