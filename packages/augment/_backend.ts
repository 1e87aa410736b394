// Which kind of backend is active, for the two places where the best batched formulation
// differs. TensorFlow.js's cpu backend (and the blas backend, which reuses its kernels) runs
// broadcasting binary ops, gather, transpose and strided slices through a generic per-element
// index loop (20-50x slower than its same-shape and contiguous paths); wasm, webgl, webgpu
// and tfjs-node do all of these natively.
import * as tf from "@tensorflow/tfjs";

const CPU_KERNELS = new Set(["cpu", "blas"]);

/** Whether the active backend runs tfjs's JavaScript cpu kernels. */
export function usesCpuKernels(): boolean {
  return CPU_KERNELS.has(tf.getBackend());
}
