/**
 * The `blas` TensorFlow.js backend: the cpu backend with its heavy kernels on a system BLAS
 * (OpenBLAS on Linux, Accelerate on macOS) through Deno FFI.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { BATCH_NORM_TRAINING_GRAD_KERNEL, BATCH_NORM_TRAINING_KERNEL } from "@selfsup/encoders";
import {
  ADJUST_HUE_KERNEL,
  ADJUST_SATURATION_KERNEL,
  COLOR_JITTER_KERNEL,
  GAUSSIAN_BLUR_KERNEL,
  GRAYSCALE_KERNEL,
  SOLARIZE_KERNEL,
} from "@selfsup/augment";
import { BlasBackend } from "./blas/backend.ts";
import type { BlasKernel } from "./blas/_util.ts";
import { openBlas } from "./blas/ffi.ts";
import { type OneDnn, openOneDnn } from "./blas/onednn.ts";
import { RELU_GRAD_KERNEL } from "./relu_gradient.ts";
import { checkBlasOptions } from "./_blas_options.ts";
import { conv2D, conv2DBackpropFilter, conv2DBackpropInput, fusedConv2D } from "./blas/conv2d.ts";
import { batchMatMul, fusedMatMul } from "./blas/matmul.ts";
import {
  add,
  div,
  equal,
  exp,
  less,
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
import { max, mean, min, sum } from "./blas/reduce.ts";
import { fusedBatchNorm } from "./blas/batch_norm.ts";
import { batchNormTraining, batchNormTrainingGrad } from "./blas/batch_norm_training.ts";
import { tile } from "./blas/tile.ts";
import { slice } from "./blas/slice.ts";
import { padV2 } from "./blas/pad.ts";
import { gatherV2 } from "./blas/gather.ts";
import { maxPool, maxPoolGrad } from "./blas/max_pool.ts";
import { cropAndResize } from "./blas/crop_and_resize.ts";
import { clipByValue } from "./blas/clip_by_value.ts";
import { concat } from "./blas/concat.ts";
import { select } from "./blas/select.ts";
import { adjustHue } from "./blas/adjust_hue.ts";
import { adjustSaturation } from "./blas/adjust_saturation.ts";
import { colorJitter } from "./blas/color_jitter.ts";
import { gaussianBlur } from "./blas/gaussian_blur.ts";
import { grayscale } from "./blas/grayscale.ts";
import { solarize } from "./blas/solarize.ts";

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
  Equal: equal,
  Less: less,
  Relu: relu,
  Step: step,
  Square: square,
  Sqrt: sqrt,
  Rsqrt: rsqrt,
  Neg: neg,
  Exp: exp,
  Sum: sum,
  Mean: mean,
  Min: min,
  Max: max,
  Tile: tile,
  Slice: slice,
  PadV2: padV2,
  GatherV2: gatherV2,
  MaxPool: maxPool,
  MaxPoolGrad: maxPoolGrad,
  CropAndResize: cropAndResize,
  ClipByValue: clipByValue,
  Concat: concat,
  Select: select,
};

/** Options for {@linkcode registerBlasBackend}. */
export interface BlasBackendOptions {
  /**
   * A CBLAS library path or file name to open instead of the one named by the environment
   * variable `SELFSUP_BLAS_LIBRARY` or, without it, the platform default.
   */
  libraryPath?: string;
  /**
   * BLAS threads (OpenBLAS only), a positive integer. Default: the number of cores. The calling
   * thread is one of them, and idle workers sleep between calls (see the module docs of
   * `blas/ffi.ts`), so the JavaScript kernels between GEMMs keep their core.
   */
  threads?: number;
  /**
   * Most bytes the backend keeps in its buffer pool for reuse, an integer >= 0 (default 8 GiB;
   * a training step of the reference model at batch 2x128 reuses about 1.6 GiB, one of
   * ResNet-18 on 2x64 32x32 images over 2 GiB). A buffer the pool drops is garbage, and the
   * next step writes fresh memory instead: page faults in every kernel that allocates (with
   * a 2 GiB pool that ResNet-18 step ran 1.3x slower, and its process held more memory).
   */
  poolBytes?: number;
  /** tfjs backend priority, a finite number (default 0: never chosen unless asked for by name). */
  priority?: number;
  /**
   * oneDNN for the convolutions, batch norm, large elementwise ops and relu: `true` (default) opens it
   * when installed (Debian/Ubuntu `libdnnl2`; the environment variable
   * `SELFSUP_ONEDNN_LIBRARY` names another file) and else keeps the GEMM and JavaScript
   * kernels; a path or file name opens that library and throws when it cannot; `false` never
   * uses it.
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
  /** Why oneDNN is not in use (turned off, not installed, an untested version), if it is not. */
  oneDnnUnavailable: string | undefined;
}

let registered: BlasRegistration | undefined;

function openOptionalOneDnn(choice: boolean | string): OneDnn | string {
  if (choice === false) return "turned off (oneDnn: false)";
  if (typeof choice === "string") return openOneDnn({ libraryPath: choice });
  try {
    return openOneDnn();
  } catch (error) {
    // Not installed (or unusable): the GEMM and JavaScript kernels serve.
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * Registers the `blas` backend with TensorFlow.js (call `tf.setBackend("blas")` to use it).
 *
 * The backend derives from the cpu backend: it has every cpu kernel, and runs convolutions
 * (forward and both gradients, fused or not), matrix multiplications, batch norm and the hot
 * float32 elementwise and reduction kernels itself, with GEMMs on the system BLAS, convolutions,
 * batch norm, large adds and relu on oneDNN when it is installed, and outputs from a buffer
 * pool. Anything those kernels do not cover (NCHW, other dtypes, unusual broadcasts) runs the
 * cpu kernel. The libraries are opened here, so a missing library or permission fails now with
 * a clear message. Registering again returns the first registration (its options are ignored).
 *
 * What it changes beyond registering the backend: nothing else in tfjs. It registers the
 * one-pass relu-gradient kernel ({@linkcode RELU_GRAD_KERNEL}) under `blas` only; tfjs's `Relu`
 * gradient uses it only after `installReluGradient()` (or `startBackend` with
 * `fastGradients: true`). It also registers `@selfsup/augment`'s fused kernels
 * (`ADJUST_HUE_KERNEL`, `ADJUST_SATURATION_KERNEL`, `COLOR_JITTER_KERNEL`,
 * `GAUSSIAN_BLUR_KERNEL`, `GRAYSCALE_KERNEL`, `SOLARIZE_KERNEL`) under `blas`, which the colour
 * adjustments, colour jitter, the blur, grayscale and solarization run instead of their op
 * chains (and of regrouping the batch around a random subset), with the same values. OpenBLAS's
 * `OPENBLAS_THREAD_TIMEOUT` is set only while the library loads (unless you set it), and the
 * environment is restored after.
 *
 * The library files can also be chosen without code: the environment variables
 * `SELFSUP_BLAS_LIBRARY` and `SELFSUP_ONEDNN_LIBRARY` name them (read with `--allow-env`;
 * `libraryPath` and a `oneDnn` path win over them). A file that does not exist is treated as
 * an absent library, which is how CI runs the tests as on a machine without them.
 *
 * @param options Library paths, BLAS threads, pool size, priority, whether to use oneDNN.
 * @returns The backend name, the libraries opened, and why oneDNN is not in use if it is not.
 * @throws {Error} Without `--allow-ffi`, or when no BLAS library (or the oneDNN library named
 *   by `oneDnn`) can be opened; the message says what to install.
 * @throws {TypeError} When `options` or one of its fields has the wrong type.
 * @throws {RangeError} When `threads` is not a positive integer, `poolBytes` not an integer
 *   >= 0 or `priority` not finite.
 * @example Multiply on the blas backend, where OpenBLAS is installed
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { registerBlasBackend } from "@selfsup/backends";
 *
 * tf.enableProdMode();
 * let registered = false;
 * try {
 *   registerBlasBackend();
 *   registered = true;
 * } catch (error) {
 *   // No OpenBLAS here: the message says what to install (startBackend("auto") would pass
 *   // blas over for wasm).
 *   assert.match((error as Error).message, /Could not open a BLAS library/);
 * }
 * if (registered) {
 *   await tf.setBackend("blas");
 *   const y = tf.matMul([[1, 2]], [[3], [4]]);
 *   assert.deepEqual(await y.data(), new Float32Array([11]));
 *   y.dispose();
 *   await tf.setBackend("cpu");
 * }
 * ```
 * @example A bad option is named
 * ```ts
 * import assert from "node:assert/strict";
 * import { registerBlasBackend } from "@selfsup/backends";
 *
 * assert.throws(() => registerBlasBackend({ threads: 0 }), {
 *   name: "RangeError",
 *   message: "registerBlasBackend(): threads must be an integer >= 1, got 0",
 * });
 * ```
 */
export function registerBlasBackend(options: BlasBackendOptions = {}): BlasRegistration {
  checkBlasOptions("registerBlasBackend", options, "");
  const { threads, poolBytes, priority = 0 } = options;
  if (registered !== undefined) return registered;
  const blas = openBlas({ libraryPath: options.libraryPath });
  blas.setThreads(threads ?? navigator.hardwareConcurrency);
  const oneDnn = openOptionalOneDnn(options.oneDnn ?? true);
  const opened = typeof oneDnn === "string" ? undefined : oneDnn;
  tf.registerBackend(
    BLAS_BACKEND_NAME,
    () => new BlasBackend(blas, { poolBytes, oneDnn: opened }),
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
  // Kernels no stock backend has: the fused batch-norm training op of @selfsup/encoders, the
  // one-pass relu gradient (which tfjs's Relu gradient calls after installReluGradient) and
  // the fused colour adjustments, blur, grayscale and solarization of @selfsup/augment.
  for (
    const [kernelName, kernelFunc] of [
      [BATCH_NORM_TRAINING_KERNEL, batchNormTraining],
      [BATCH_NORM_TRAINING_GRAD_KERNEL, batchNormTrainingGrad],
      [RELU_GRAD_KERNEL, reluGrad],
      [ADJUST_HUE_KERNEL, adjustHue],
      [ADJUST_SATURATION_KERNEL, adjustSaturation],
      [COLOR_JITTER_KERNEL, colorJitter],
      [GAUSSIAN_BLUR_KERNEL, gaussianBlur],
      [GRAYSCALE_KERNEL, grayscale],
      [SOLARIZE_KERNEL, solarize],
    ] as const
  ) {
    tf.registerKernel({
      kernelName,
      backendName: BLAS_BACKEND_NAME,
      kernelFunc: kernelFunc as unknown as tf.KernelFunc,
    });
  }
  registered = {
    name: BLAS_BACKEND_NAME,
    library: blas.path,
    oneDnn: opened?.path,
    oneDnnUnavailable: typeof oneDnn === "string" ? oneDnn : undefined,
  };
  return registered;
}
