import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { registerWasmTrainingKernels } from "./wasm_training_kernels.ts";
import { wasmConv2DBackpropFilterConfig } from "./wasm_conv2d_backprop_filter.ts";
import { wasmConv2DBackpropInputConfig } from "./wasm_conv2d_backprop_input.ts";

Deno.test("registerWasmTrainingKernels() registers both conv gradients and is idempotent", () => {
  registerWasmTrainingKernels();
  registerWasmTrainingKernels();
  assert.equal(
    tf.getKernel("Conv2DBackpropFilter", "wasm")?.kernelFunc,
    wasmConv2DBackpropFilterConfig.kernelFunc,
  );
  assert.equal(
    tf.getKernel("Conv2DBackpropInput", "wasm")?.kernelFunc,
    wasmConv2DBackpropInputConfig.kernelFunc,
  );
});
