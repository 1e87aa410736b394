// Which kind of backend is active, for the two places where the best batched formulation
// differs. TensorFlow.js's stock cpu backend runs broadcasting binary ops, gather, transpose
// and strided slices through a generic per-element index loop (20-50x slower than its
// same-shape and contiguous paths); wasm, webgl, webgpu, tfjs-node and the blas backend of
// @selfsup/backends (which has its own gather and broadcasting kernels) do all of these fast.
import * as tf from "@tensorflow/tfjs";

/** Whether the active backend is tfjs's stock JavaScript cpu backend. */
export function usesCpuKernels(): boolean {
  return tf.getBackend() === "cpu";
}
