import * as tf from "@tensorflow/tfjs";
import { wasmConv2DBackpropFilterConfig } from "./wasm_conv2d_backprop_filter.ts";
import { wasmConv2DBackpropInputConfig } from "./wasm_conv2d_backprop_input.ts";

const TRAINING_KERNELS: readonly tf.KernelConfig[] = [
  wasmConv2DBackpropFilterConfig,
  wasmConv2DBackpropInputConfig,
];

/**
 * Registers on the `wasm` backend the kernels a convolutional network needs to train there.
 *
 * Stock `@tensorflow/tfjs-backend-wasm` 4.22.0 has no `Conv2DBackpropFilter`, so no
 * convolution's weights can be trained on it; its `Conv2DBackpropInput` is a scalar loop.
 * Both are registered here as convolutions on the backend's own XNNPACK `Conv2D` (see
 * {@linkcode wasmConv2DBackpropFilterConfig} and {@linkcode wasmConv2DBackpropInputConfig}).
 * Safe to call more than once; it may be called before or after the wasm backend starts.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { registerWasmTrainingKernels, wasmConv2DBackpropFilterConfig } from "@selfsup/backends";
 *
 * registerWasmTrainingKernels();
 * const kernel = tf.getKernel("Conv2DBackpropFilter", "wasm");
 * assert.equal(kernel?.kernelFunc, wasmConv2DBackpropFilterConfig.kernelFunc);
 * ```
 */
export function registerWasmTrainingKernels(): void {
  for (const config of TRAINING_KERNELS) {
    const current = tf.getKernel(config.kernelName, config.backendName);
    if (current?.kernelFunc === config.kernelFunc) continue;
    if (current !== undefined) tf.unregisterKernel(config.kernelName, config.backendName);
    tf.registerKernel(config);
  }
}
