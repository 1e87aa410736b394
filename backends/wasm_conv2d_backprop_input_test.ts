import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { registerWasmBackend } from "./wasm_backend.ts";
import {
  type ConvCase,
  geometry,
  inputGradient,
  maxRelativeError,
  values,
} from "./_conv_reference_test_util.ts";

tf.enableProdMode();
await registerWasmBackend();

const CASES: ConvCase[] = [
  { n: 2, h: 7, w: 6, ci: 3, co: 4, kh: 3, kw: 3, stride: [1, 1], pad: "same" },
  { n: 2, h: 8, w: 8, ci: 2, co: 3, kh: 3, kw: 3, stride: [2, 2], pad: "same" },
  { n: 1, h: 7, w: 9, ci: 2, co: 2, kh: 3, kw: 3, stride: [2, 2], pad: "same" },
  { n: 3, h: 9, w: 8, ci: 2, co: 5, kh: 1, kw: 1, stride: [2, 2], pad: "valid" },
  { n: 2, h: 6, w: 7, ci: 2, co: 2, kh: 3, kw: 2, stride: [2, 1], pad: "valid" },
  { n: 1, h: 11, w: 10, ci: 3, co: 2, kh: 7, kw: 7, stride: [2, 2], pad: "same" },
  { n: 2, h: 10, w: 10, ci: 2, co: 3, kh: 3, kw: 3, stride: [3, 3], pad: "valid" },
];

function wasmInputGradient(c: ConvCase, w: Float32Array, dy: Float32Array): Float32Array {
  const { oh, ow } = geometry(c);
  return tf.tidy(() => {
    const out = tf.engine().runKernel("Conv2DBackpropInput", {
      dy: tf.tensor4d(dy, [c.n, oh, ow, c.co]),
      filter: tf.tensor4d(w, [c.kh, c.kw, c.ci, c.co]),
    }, {
      strides: c.stride,
      pad: c.pad,
      dataFormat: "NHWC",
      inputShape: [c.n, c.h, c.w, c.ci],
    }) as tf.Tensor;
    assert.deepEqual(out.shape, [c.n, c.h, c.w, c.ci]);
    return out.dataSync() as Float32Array;
  });
}

Deno.test("wasm Conv2DBackpropInput matches a float64 reference for strides and paddings", async () => {
  await tf.setBackend("wasm");
  for (const [i, c] of CASES.entries()) {
    const { oh, ow } = geometry(c);
    const w = values(c.kh * c.kw * c.ci * c.co, 2 * i);
    const dy = values(c.n * oh * ow * c.co, 2 * i + 1);
    const error = maxRelativeError(wasmInputGradient(c, w, dy), inputGradient(c, w, dy));
    assert.ok(error < 1e-5, `${JSON.stringify(c)}: relative error ${error}`);
  }
});

Deno.test("wasm conv2d input gradients equal the cpu backend's through tf.grads", async () => {
  const c = CASES[2]!;
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    return tf.tidy(() => {
      const x = tf.tensor4d(values(c.n * c.h * c.w * c.ci, 3), [c.n, c.h, c.w, c.ci]);
      const w = tf.tensor4d(values(c.kh * c.kw * c.ci * c.co, 4), [c.kh, c.kw, c.ci, c.co]);
      const loss = (x: tf.Tensor) => tf.sum(tf.square(tf.conv2d(x as tf.Tensor4D, w, 2, "same")));
      return tf.grad(loss)(x).dataSync();
    });
  };
  const cpu = await run("cpu");
  const wasm = await run("wasm");
  assert.ok(maxRelativeError(wasm, cpu) < 1e-5);
});

Deno.test("wasm Conv2DBackpropInput leaks no tensor or wasm buffer", async () => {
  await tf.setBackend("wasm");
  const c = CASES[1]!;
  const { oh, ow } = geometry(c);
  const w = values(c.kh * c.kw * c.ci * c.co, 1);
  const dy = values(c.n * oh * ow * c.co, 2);
  wasmInputGradient(c, w, dy);
  const tensors = tf.memory().numTensors;
  const buffers = tf.engine().backend.numDataIds();
  for (let i = 0; i < 3; i++) wasmInputGradient(c, w, dy);
  assert.equal(tf.memory().numTensors, tensors);
  assert.equal(tf.engine().backend.numDataIds(), buffers);
});
