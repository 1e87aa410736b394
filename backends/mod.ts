/**
 * Choose and start the TensorFlow.js compute backend: `tensorflow` (tfjs-node-gpu / tfjs-node,
 * when installed), `webgpu` (on a real GPU), `blas` (a system BLAS through Deno FFI), `wasm`
 * (with the training kernels stock wasm lacks) or `cpu`.
 *
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { startBackend } from "@selfsup/backends";
 *
 * const { name, reason } = await startBackend("auto"); // e.g. "blas", and why
 * assert.equal(tf.getBackend(), name);
 * assert.match(reason, /fastest that works here/);
 * ```
 *
 * Run with `--allow-ffi --allow-read` (blas, wasm) or `-A`; see {@linkcode startBackend}, which
 * also says what it changes in the process (nothing but the backends, unless asked).
 *
 * @module
 */
export * from "./start_backend.ts";
export * from "./verify_backend.ts";
export * from "./blas_backend.ts";
export * from "./blas_precision.ts";
export * from "./batch_norm_gradient.ts";
export * from "./relu_gradient.ts";
export * from "./wasm_backend.ts";
export * from "./wasm_training_kernels.ts";
export * from "./wasm_conv2d_backprop_filter.ts";
export * from "./wasm_conv2d_backprop_input.ts";
export * from "./webgpu_backend.ts";
export * from "./tensorflow_backend.ts";
