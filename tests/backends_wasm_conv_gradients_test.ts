// Property: the wasm backend's composite convolution gradients equal float64 references for
// random shapes, strides, paddings and filter sizes.
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import assert from "node:assert/strict";
import { registerWasmBackend } from "../backends/mod.ts";
import {
  type ConvCase,
  filterGradient,
  geometry,
  inputGradient,
  maxRelativeError,
  values,
} from "../backends/_conv_reference_test_util.ts";

tf.enableProdMode();
await registerWasmBackend();
await tf.setBackend("wasm");

const convCase: fc.Arbitrary<ConvCase & { seed: number }> = fc.record({
  n: fc.integer({ min: 1, max: 3 }),
  h: fc.integer({ min: 1, max: 9 }),
  w: fc.integer({ min: 1, max: 9 }),
  ci: fc.integer({ min: 1, max: 4 }),
  co: fc.integer({ min: 1, max: 4 }),
  kh: fc.integer({ min: 1, max: 5 }),
  kw: fc.integer({ min: 1, max: 5 }),
  stride: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
  pad: fc.constantFrom("same" as const, "valid" as const),
  seed: fc.integer({ min: 0, max: 1_000_000 }),
}).filter((c) => c.pad === "same" || (c.kh <= c.h && c.kw <= c.w));

/** Runs kernel `name` on the tensors `inputs()` makes, inside a tidy; returns its values. */
function kernel(
  name: string,
  inputs: () => Record<string, tf.Tensor>,
  c: ConvCase,
  shape: "filterShape" | "inputShape",
) {
  return tf.tidy(() =>
    (tf.engine().runKernel(name, inputs(), {
      strides: c.stride,
      pad: c.pad,
      dataFormat: "NHWC",
      [shape]: shape === "filterShape" ? [c.kh, c.kw, c.ci, c.co] : [c.n, c.h, c.w, c.ci],
    }) as tf.Tensor).dataSync()
  );
}

Deno.test("wasm Conv2DBackpropFilter equals a float64 reference on random geometries", () => {
  fc.assert(
    fc.property(convCase, (c) => {
      const { oh, ow } = geometry(c);
      const x = values(c.n * c.h * c.w * c.ci, c.seed);
      const dy = values(c.n * oh * ow * c.co, c.seed + 1);
      const got = kernel(
        "Conv2DBackpropFilter",
        () => ({
          x: tf.tensor4d(x, [c.n, c.h, c.w, c.ci]),
          dy: tf.tensor4d(dy, [c.n, oh, ow, c.co]),
        }),
        c,
        "filterShape",
      );
      assert.ok(maxRelativeError(got, filterGradient(c, x, dy)) < 1e-5);
    }),
    { numRuns: 150, seed: 3 },
  );
});

Deno.test("wasm Conv2DBackpropInput equals a float64 reference on random geometries", () => {
  fc.assert(
    fc.property(convCase, (c) => {
      const { oh, ow } = geometry(c);
      const w = values(c.kh * c.kw * c.ci * c.co, c.seed);
      const dy = values(c.n * oh * ow * c.co, c.seed + 1);
      const got = kernel(
        "Conv2DBackpropInput",
        () => ({
          dy: tf.tensor4d(dy, [c.n, oh, ow, c.co]),
          filter: tf.tensor4d(w, [c.kh, c.kw, c.ci, c.co]),
        }),
        c,
        "inputShape",
      );
      assert.ok(maxRelativeError(got, inputGradient(c, w, dy)) < 1e-5);
    }),
    { numRuns: 150, seed: 4 },
  );
});

Deno.test("the wasm conv gradient kernels leave no tensor behind over many geometries", () => {
  const before = tf.memory().numTensors;
  const buffers = tf.engine().backend.numDataIds();
  fc.assert(
    fc.property(convCase, (c) => {
      const { oh, ow } = geometry(c);
      kernel(
        "Conv2DBackpropFilter",
        () => ({
          x: tf.tensor4d(values(c.n * c.h * c.w * c.ci, c.seed), [c.n, c.h, c.w, c.ci]),
          dy: tf.tensor4d(values(c.n * oh * ow * c.co, c.seed), [c.n, oh, ow, c.co]),
        }),
        c,
        "filterShape",
      );
    }),
    { numRuns: 100, seed: 5 },
  );
  assert.equal(tf.memory().numTensors, before);
  assert.equal(tf.engine().backend.numDataIds(), buffers);
});
