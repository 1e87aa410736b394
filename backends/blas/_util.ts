/**
 * Plumbing shared by the blas kernels: the kernel argument types and the fallback to the cpu
 * backend's own kernel.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BlasBackend } from "./backend.ts";

/** The arguments tfjs passes to a kernel function, with the backend typed as ours. */
export interface BlasKernelArgs {
  /** Required inputs are always present; optional ones (bias, scale...) may be undefined. */
  inputs: Record<string, tf.TensorInfo>;
  backend: BlasBackend;
  attrs?: tf.NamedAttrMap;
}

/** A blas kernel: returns one or more outputs like any tfjs kernel function. */
export type BlasKernel = (args: BlasKernelArgs) => tf.TensorInfo | tf.TensorInfo[];

/** Runs the cpu backend's kernel `name` on the blas backend (same storage, so it just works). */
export function cpuKernel(name: string, args: BlasKernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const config = tf.getKernel(name, "cpu");
  if (config === undefined) throw new Error(`The cpu backend has no kernel ${name}`);
  return config.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]);
}

/** True when every tensor given is float32 (the only dtype the BLAS paths handle). */
export function allFloat32(...tensors: (tf.TensorInfo | undefined)[]): boolean {
  return tensors.every((t) => t === undefined || t.dtype === "float32");
}

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
