/**
 * The `blas` TensorFlow.js backend: the cpu backend with its heavy kernels on a system BLAS
 * (OpenBLAS on Linux, Accelerate on macOS) through Deno FFI.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { BATCH_NORM_TRAINING_GRAD_KERNEL, BATCH_NORM_TRAINING_KERNEL } from "@selfsup/encoders";
import { BlasBackend } from "./blas/backend.ts";
import type { BlasKernel } from "./blas/_util.ts";
import { openBlas } from "./blas/ffi.ts";
import { type OneDnn, openOneDnn } from "./blas/onednn.ts";
import { installReluGradient, RELU_GRAD_KERNEL } from "./relu_gradient.ts";
import { conv2D, conv2DBackpropFilter, conv2DBackpropInput, fusedConv2D } from "./blas/conv2d.ts";
import { batchMatMul, fusedMatMul } from "./blas/matmul.ts";
import {
  add,
  div,
  exp,
  maximum,
  minimum,
  mod,
  mul,
  neg,
  relu,
  reluGrad,
  rsqrt,
  sqrt,
  square,
  squaredDifference,
  step,
  sub,
} from "./blas/elementwise.ts";
import { mean, sum } from "./blas/reduce.ts";
import { fusedBatchNorm } from "./blas/batch_norm.ts";
import { batchNormTraining, batchNormTrainingGrad } from "./blas/batch_norm_training.ts";
import { tile } from "./blas/tile.ts";
import { slice } from "./blas/slice.ts";
import { padV2 } from "./blas/pad.ts";
import { gatherV2 } from "./blas/gather.ts";

/** The tfjs backend name the blas backend registers under. */
export const BLAS_BACKEND_NAME = "blas";

/**
 * The kernels the blas backend runs itself, by tfjs kernel name; every other kernel is the cpu
 * backend's. Each falls back to the cpu kernel for inputs it does not cover (NCHW, non-float32
 * dtypes, unsupported activations or broadcasts).
 */
export const BLAS_KERNELS: Readonly<Record<string, BlasKernel>> = {
  Conv2D: conv2D,
  Conv2DBackpropFilter: conv2DBackpropFilter,
  Conv2DBackpropInput: conv2DBackpropInput,
  FusedConv2D: fusedConv2D,
  BatchMatMul: batchMatMul,
  _FusedMatMul: fusedMatMul,
  FusedBatchNorm: fusedBatchNorm,
  Add: add,
  Sub: sub,
  Multiply: mul,
  RealDiv: div,
  SquaredDifference: squaredDifference,
  Maximum: maximum,
  Minimum: minimum,
  Mod: mod,
  Relu: relu,
  Step: step,
  Square: square,
  Sqrt: sqrt,
  Rsqrt: rsqrt,
  Neg: neg,
  Exp: exp,
  Sum: sum,
  Mean: mean,
  Tile: tile,
  Slice: slice,
  PadV2: padV2,
  GatherV2: gatherV2,
};

/** Options for {@linkcode registerBlasBackend}. */
export interface BlasBackendOptions {
  /** A CBLAS library path or file name to open instead of the platform default. */
  libraryPath?: string;
  /**
   * BLAS threads (OpenBLAS only). Default: the number of cores. The calling thread is one of
   * them, and idle workers sleep between calls (see `openBlas`), so the JavaScript kernels
   * between GEMMs keep their core.
   */
  threads?: number;
  /**
   * Most bytes the backend keeps in its buffer pool for reuse (default 2 GiB; a training step
   * of the reference model at batch 2x128 reuses about 1.6 GiB).
   */
  poolBytes?: number;
  /** tfjs backend priority (default 0: never chosen unless asked for by name). */
  priority?: number;
  /**
   * oneDNN for the convolutions, batch norm, large adds and relu: `true` (default) opens it
   * when installed (Debian/Ubuntu `libdnnl2`) and else keeps the GEMM and JavaScript kernels;
   * a path or file name opens that library and throws when it cannot; `false` never uses it.
   */
  oneDnn?: boolean | string;
}

/** What {@linkcode registerBlasBackend} set up. */
export interface BlasRegistration {
  /** The tfjs backend name: "blas". */
  name: string;
  /** The BLAS library file that was opened. */
  library: string;
  /** The oneDNN library file that was opened, if any. */
  oneDnn: string | undefined;
}

let registered: BlasRegistration | undefined;

function openOptionalOneDnn(choice: boolean | string): OneDnn | undefined {
  if (choice === false) return undefined;
  if (typeof choice === "string") return openOneDnn({ libraryPath: choice });
  try {
    return openOneDnn();
  } catch {
    return undefined; // not installed: the GEMM and JavaScript kernels serve
  }
}

/**
 * Registers the `blas` backend with TensorFlow.js (call `tf.setBackend("blas")` to use it).
 *
 * The backend derives from the cpu backend: it has every cpu kernel, and runs convolutions
 * (forward and both gradients, fused or not), matrix multiplications, batch norm and the hot
 * float32 elementwise and reduction kernels itself, with GEMMs on the system BLAS, convolutions,
 * batch norm, large adds and relu on oneDNN when it is installed, and outputs from a buffer
 * pool. Anything those kernels do not
 * cover (NCHW, other dtypes, unusual broadcasts) runs the cpu kernel. The libraries are opened
 * here, so a missing library or permission fails now with a clear message. Registering again
 * returns the first registration (its options are ignored).
 *
 * @param options Library paths, BLAS threads, pool size, priority, whether to use oneDNN.
 * @returns The backend name and the libraries opened.
 * @throws {Error} Without `--allow-ffi`, or when no BLAS library (or the oneDNN library named
 *   by `oneDnn`) can be opened; the message says what to install.
 * @throws {RangeError} When `threads` is not a positive integer or `poolBytes` is negative.
 * @example Multiply on the blas backend
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { registerBlasBackend } from "./blas_backend.ts";
 * tf.enableProdMode();
 * registerBlasBackend();
 * await tf.setBackend("blas");
 * const y = tf.matMul([[1, 2]], [[3], [4]]);
 * console.log(y.dataSync()[0]); // 11
 * y.dispose();
 * await tf.setBackend("cpu");
 * ```
 */
export function registerBlasBackend(options: BlasBackendOptions = {}): BlasRegistration {
  const { threads, poolBytes, priority = 0 } = options;
  if (threads !== undefined && !(Number.isInteger(threads) && threads > 0)) {
    throw new RangeError(`threads must be a positive integer, got ${threads}`);
  }
  if (poolBytes !== undefined && !(poolBytes >= 0)) {
    throw new RangeError(`poolBytes must be >= 0, got ${poolBytes}`);
  }
  if (registered !== undefined) return registered;
  const blas = openBlas({ libraryPath: options.libraryPath });
  blas.setThreads(threads ?? navigator.hardwareConcurrency);
  const oneDnn = openOptionalOneDnn(options.oneDnn ?? true);
  tf.registerBackend(
    BLAS_BACKEND_NAME,
    () => new BlasBackend(blas, { poolBytes, oneDnn }),
    priority,
  );
  for (const config of tf.getKernelsForBackend("cpu")) {
    const own = BLAS_KERNELS[config.kernelName];
    tf.registerKernel({
      ...config,
      backendName: BLAS_BACKEND_NAME,
      kernelFunc: (own ?? config.kernelFunc) as tf.KernelFunc,
    });
  }
  // Kernels no stock backend has: the fused batch-norm training op of @selfsup/encoders and
  // the one-pass relu gradient (installed for every backend; the others keep tfjs's formula).
  for (
    const [kernelName, kernelFunc] of [
      [BATCH_NORM_TRAINING_KERNEL, batchNormTraining],
      [BATCH_NORM_TRAINING_GRAD_KERNEL, batchNormTrainingGrad],
      [RELU_GRAD_KERNEL, reluGrad],
    ] as const
  ) {
    tf.registerKernel({
      kernelName,
      backendName: BLAS_BACKEND_NAME,
      kernelFunc: kernelFunc as unknown as tf.KernelFunc,
    });
  }
  installReluGradient();
  registered = { name: BLAS_BACKEND_NAME, library: blas.path, oneDnn: oneDnn?.path };
  return registered;
}
