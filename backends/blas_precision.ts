/**
 * The blas backend's convolution precision: float32, or bfloat16 with float32 accumulation
 * (mixed precision, as PyTorch's CPU autocast does for convolutions) where the CPU has native
 * bfloat16 instructions.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { checkOneOf, typeError } from "@selfsup/internal";
import { BlasBackend } from "./blas/backend.ts";
import type { BFloat16Support, ConvolutionPrecision } from "./blas/onednn.ts";
import { BLAS_BACKEND_NAME } from "./blas_backend.ts";

export type { BFloat16Support } from "./blas/onednn.ts";

/**
 * The number format of the blas backend's convolutions: `"float32"`, or `"bfloat16"`, where
 * oneDNN rounds each convolution's two inputs (the activations or their gradient, and the
 * filter) to bfloat16 and multiplies them with float32 accumulation into float32 outputs.
 * Weights, optimiser state, batch norm and everything else stay float32 (float32 master
 * weights), as under PyTorch's CPU autocast.
 */
export type BlasPrecision = ConvolutionPrecision;

const PRECISIONS: readonly string[] = ["float32", "bfloat16"];

/** The registered blas backend instance, or an error saying to register it first. */
function blasBackend(fn: string): BlasBackend {
  const backend = tf.findBackend(BLAS_BACKEND_NAME);
  if (!(backend instanceof BlasBackend)) {
    throw new Error(
      `${fn}: the blas backend is not registered: call registerBlasBackend() or ` +
        'startBackend("blas") first',
    );
  }
  return backend;
}

/**
 * Whether bfloat16 convolutions run natively here: oneDNN in use and a CPU with AVX-512 BF16
 * or AMX (oneDNN's choice of kernel for a probe convolution decides), or why not.
 *
 * @throws {Error} When the blas backend is not registered.
 */
export function blasBfloat16Support(): BFloat16Support {
  const backend = blasBackend("blasBfloat16Support");
  const dnnl = backend.activeOneDnn;
  if (dnnl === undefined) {
    return {
      supported: false,
      reason: backend.oneDnn === undefined
        ? "oneDNN is not open (install libdnnl2, or registerBlasBackend's oneDnn option " +
          "turned it off)"
        : "oneDNN is turned off on this backend (useOneDnn is false)",
    };
  }
  return dnnl.bfloat16();
}

/**
 * Sets the precision of the blas backend's convolutions for every later step (forward and both
 * gradients; the bias-fused inference convolutions stay float32). bfloat16 halves the
 * multiplications' cost on CPUs with native bfloat16 instructions, at the cost of 8 significant
 * bits in the convolutions' inputs: measure its effect on accuracy for your model.
 *
 * @param precision `"float32"` (the default) or `"bfloat16"`.
 * @throws {TypeError} When `precision` is not a string.
 * @throws {RangeError} When it is not one of the two.
 * @throws {Error} When the blas backend is not registered, or for `"bfloat16"` when it would not
 *   run natively (no oneDNN, or a CPU without AVX-512 BF16 / AMX): the message says which.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { blasBfloat16Support, registerBlasBackend, setBlasPrecision } from "@selfsup/backends";
 *
 * let registered = false;
 * try {
 *   registerBlasBackend();
 *   registered = true;
 * } catch {
 *   // No OpenBLAS here.
 * }
 * if (registered) {
 *   const support = blasBfloat16Support();
 *   if (support.supported) {
 *     setBlasPrecision("bfloat16");
 *     setBlasPrecision("float32");
 *   } else {
 *     assert.throws(() => setBlasPrecision("bfloat16"), { message: /bfloat16/ });
 *   }
 * }
 * ```
 */
export function setBlasPrecision(precision: BlasPrecision): void {
  const fn = "setBlasPrecision";
  if (typeof precision !== "string") {
    throw typeError(fn, "precision", '"float32" or "bfloat16"', precision);
  }
  checkOneOf(fn, "precision", precision, PRECISIONS);
  const backend = blasBackend(fn);
  if (precision === "bfloat16") {
    const support = blasBfloat16Support();
    if (!support.supported) {
      throw new Error(
        `${fn}(): precision "bfloat16" does not run natively here: ${support.reason}`,
      );
    }
  }
  backend.convolutionPrecision = precision;
}

/**
 * The blas backend's current convolution precision.
 *
 * @throws {Error} When the blas backend is not registered.
 */
export function blasPrecision(): BlasPrecision {
  return blasBackend("blasPrecision").convolutionPrecision;
}
