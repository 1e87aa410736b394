import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { registerWasmBackend } from "./wasm_backend.ts";
import {
  type ConvCase,
  filterGradient,
  geometry,
  maxRelativeError,
  values,
} from "./_conv_reference_test_util.ts";

tf.enableProdMode();
await registerWasmBackend();

const CASES: ConvCase[] = [
  { n: 2, h: 7, w: 6, ci: 3, co: 4, kh: 3, kw: 3, stride: [1, 1], pad: "same" },
  { n: 2, h: 8, w: 8, ci: 2, co: 3, kh: 3, kw: 3, stride: [2, 2], pad: "same" },
  { n: 1, h: 7, w: 9, ci: 2, co: 2, kh: 3, kw: 3, stride: [2, 2], pad: "same" },
  { n: 3, h: 9, w: 9, ci: 2, co: 5, kh: 1, kw: 1, stride: [2, 2], pad: "valid" },
  { n: 2, h: 6, w: 7, ci: 2, co: 2, kh: 3, kw: 2, stride: [2, 1], pad: "valid" },
  { n: 1, h: 11, w: 10, ci: 3, co: 2, kh: 7, kw: 7, stride: [2, 2], pad: "same" },
  { n: 2, h: 5, w: 5, ci: 1, co: 1, kh: 5, kw: 5, stride: [1, 1], pad: "valid" },
];

function wasmFilterGradient(c: ConvCase, x: Float32Array, dy: Float32Array): Float32Array {
  const { oh, ow } = geometry(c);
  return tf.tidy(() => {
    const out = tf.engine().runKernel("Conv2DBackpropFilter", {
      x: tf.tensor4d(x, [c.n, c.h, c.w, c.ci]),
      dy: tf.tensor4d(dy, [c.n, oh, ow, c.co]),
    }, {
      strides: c.stride,
      pad: c.pad,
      dataFormat: "NHWC",
      filterShape: [c.kh, c.kw, c.ci, c.co],
    }) as tf.Tensor;
    assert.deepEqual(out.shape, [c.kh, c.kw, c.ci, c.co]);
    return out.dataSync() as Float32Array;
  });
}

Deno.test("wasm Conv2DBackpropFilter matches a float64 reference for strides and paddings", async () => {
  await tf.setBackend("wasm");
  for (const [i, c] of CASES.entries()) {
    const { oh, ow } = geometry(c);
    const x = values(c.n * c.h * c.w * c.ci, 2 * i);
    const dy = values(c.n * oh * ow * c.co, 2 * i + 1);
    const error = maxRelativeError(wasmFilterGradient(c, x, dy), filterGradient(c, x, dy));
    assert.ok(error < 1e-5, `${JSON.stringify(c)}: relative error ${error}`);
  }
});

Deno.test("wasm conv2d filter gradients equal the cpu backend's through tf.grads", async () => {
  const c = CASES[1]!;
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    return tf.tidy(() => {
      const x = tf.tensor4d(values(c.n * c.h * c.w * c.ci, 7), [c.n, c.h, c.w, c.ci]);
      const w = tf.tensor4d(values(c.kh * c.kw * c.ci * c.co, 8), [c.kh, c.kw, c.ci, c.co]);
      const loss = (w: tf.Tensor) => tf.sum(tf.square(tf.conv2d(x, w as tf.Tensor4D, 2, "same")));
      return tf.grad(loss)(w).dataSync();
    });
  };
  const cpu = await run("cpu");
  const wasm = await run("wasm");
  assert.ok(maxRelativeError(wasm, cpu) < 1e-5);
});

Deno.test("wasm Conv2DBackpropFilter leaks no tensor or wasm buffer", async () => {
  await tf.setBackend("wasm");
  const c = CASES[2]!;
  const { oh, ow } = geometry(c);
  const x = values(c.n * c.h * c.w * c.ci, 1);
  const dy = values(c.n * oh * ow * c.co, 2);
  wasmFilterGradient(c, x, dy);
  const tensors = tf.memory().numTensors;
  const buffers = tf.engine().backend.numDataIds();
  for (let i = 0; i < 3; i++) wasmFilterGradient(c, x, dy);
  assert.equal(tf.memory().numTensors, tensors);
  assert.equal(tf.engine().backend.numDataIds(), buffers);
});
