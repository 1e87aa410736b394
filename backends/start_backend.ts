import * as tf from "@tensorflow/tfjs";
import { checkBoolean, checkOneOf, checkOptions, typeError } from "@selfsup/internal";
import { type BlasBackendOptions, registerBlasBackend } from "./blas_backend.ts";
import { checkBlasOptions } from "./_blas_options.ts";
import { installBatchNormGradient } from "./batch_norm_gradient.ts";
import { installReluGradient } from "./relu_gradient.ts";
import { withoutDisplayLookup } from "./_without_display_lookup.ts";
import { loadTensorflowBackend, type TensorflowBackendOptions } from "./tensorflow_backend.ts";
import { registerWasmBackend, type WasmBackendOptions } from "./wasm_backend.ts";
import { probeWebGpu, registerWebGpuBackend } from "./webgpu_backend.ts";
import { verifyBackend } from "./verify_backend.ts";

/** A backend {@linkcode startBackend} can start. */
export type BackendName = "tensorflow" | "webgpu" | "blas" | "wasm" | "cpu";

/** The order `"auto"` tries backends in: fastest first. */
export const AUTO_ORDER: readonly BackendName[] = ["tensorflow", "webgpu", "blas", "wasm", "cpu"];

/** Options for {@linkcode startBackend}. */
export interface StartBackendOptions {
  /** Options passed to {@linkcode registerBlasBackend}. */
  blas?: BlasBackendOptions;
  /** Options passed to {@linkcode registerWasmBackend}. */
  wasm?: WasmBackendOptions;
  /** Options passed to {@linkcode loadTensorflowBackend}. */
  tensorflow?: TensorflowBackendOptions;
  /** Let `"auto"` take a software WebGPU adapter (default false: it is slower than blas). */
  softwareGpu?: boolean;
  /**
   * Replace tfjs's gradients of `FusedBatchNorm` and `Mean` ({@linkcode installBatchNormGradient})
   * and of `Relu` ({@linkcode installReluGradient}) with faster ones, for the whole process and
   * every backend, not only the one started (tfjs keeps one gradient per kernel). Same values
   * up to float32 rounding, except that on blas with oneDNN the relu gradient passes dy where
   * x is NaN. Default false: tfjs's gradients stay as they are.
   */
  fastGradients?: boolean;
}

/** One backend {@linkcode startBackend} tried. */
export interface BackendAttempt {
  /** The backend. */
  name: BackendName;
  /** Whether it started and passed {@linkcode verifyBackend}. */
  ok: boolean;
  /** What it runs on when ok, else why it was passed over. */
  reason: string;
}

/** The backend {@linkcode startBackend} started. */
export interface StartedBackend {
  /** The active tfjs backend. */
  name: BackendName;
  /** Why this one: what it runs on and, for "auto", which faster ones were passed over. */
  reason: string;
  /** Every backend tried, in order. */
  tried: BackendAttempt[];
}

const NAMES: readonly string[] = ["auto", ...AUTO_ORDER];

/**
 * Starts a TensorFlow.js backend, the fastest that works here for `"auto"`, and makes it
 * tfjs's active backend.
 *
 * `"auto"` tries, in order: `tensorflow` (tfjs-node-gpu / tfjs-node, only when installed in
 * `node_modules`), `webgpu` (only on a hardware adapter), `blas` (a system BLAS through FFI),
 * `wasm` (no system library at all) and `cpu`. Each is registered, made active and checked
 * with {@linkcode verifyBackend} (a small convolution, its filter gradient, a matrix product
 * and a training batch norm against float64 references); the first that passes is kept. Any
 * name can also be forced.
 *
 * What it changes in the process, besides registering backends and making one active:
 * - tfjs's gradients only with `fastGradients: true` (see {@linkcode StartBackendOptions});
 * - tfjs's one-time "Hi, looks like you are running TensorFlow.js in Node.js" banner of the
 *   cpu backend (and of blas, built on it) is not printed: startBackend has already weighed
 *   tfjs-node (the `tensorflow` choice). tfjs's other warnings stay (`tf.enableProdMode()`
 *   silences them all);
 * - no environment variable: OpenBLAS's `OPENBLAS_THREAD_TIMEOUT` is set only while the library
 *   loads and `XDG_RUNTIME_DIR` (when unset) only while WebGPU lists adapters, so that no
 *   display-server error is printed; both are unset again afterwards.
 *
 * Deno permissions: `blas` needs `--allow-ffi`; `wasm` `--allow-read` (its `.wasm` files);
 * `tensorflow` `--allow-read --allow-ffi --allow-env`; `webgpu` none on Deno 2.9. A missing
 * permission passes the backend over in `"auto"` and is named in `tried`; a forced backend
 * throws a message naming the flag.
 *
 * @param name `"auto"` or the backend to force.
 * @param options Options of the individual backends, `softwareGpu` and `fastGradients`.
 * @returns The backend started, why, and every attempt.
 * @throws {TypeError} When `name` is not a string, or `options` or one of its fields has the
 *   wrong type.
 * @throws {RangeError} When `name` is not one of "auto", "tensorflow", "webgpu", "blas",
 *   "wasm", "cpu", or a blas option is out of range.
 * @throws {Error} When a forced backend cannot start or gives wrong results (the message says
 *   why and how to fix it).
 * @example Start the fastest backend
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { startBackend } from "@selfsup/backends";
 *
 * const started = await startBackend("auto");
 * assert.equal(tf.getBackend(), started.name);
 * assert.deepEqual(started.tried.at(-1), {
 *   name: started.name,
 *   ok: true,
 *   reason: started.tried.at(-1)!.reason,
 * });
 * ```
 * @example Without a BLAS library, "auto" passes blas over and says why
 * ```ts
 * import assert from "node:assert/strict";
 * import { startBackend } from "@selfsup/backends";
 *
 * // A library file that does not exist stands for a machine without OpenBLAS.
 * const blas = { libraryPath: "/nonexistent/libopenblas.so.0" };
 * const started = await startBackend("auto", { blas });
 * assert.notEqual(started.name, "blas");
 * await assert.rejects(() => startBackend("blas", { blas }), /Could not open a BLAS library/);
 * ```
 * @example Force the zero-setup wasm backend, with the faster training gradients
 * ```ts
 * import assert from "node:assert/strict";
 * import { startBackend } from "@selfsup/backends";
 *
 * const { name, reason } = await startBackend("wasm", { fastGradients: true });
 * assert.equal(name, "wasm");
 * assert.match(reason, /asked for by name/);
 * ```
 */
export async function startBackend(
  name: "auto" | BackendName = "auto",
  options: StartBackendOptions = {},
): Promise<StartedBackend> {
  checkStartOptions(name, options);
  if (options.fastGradients === true) {
    installBatchNormGradient();
    installReluGradient();
  }
  const forced = name !== "auto";
  const tried: BackendAttempt[] = [];
  for (const candidate of forced ? [name] : AUTO_ORDER) {
    let reason: string;
    try {
      reason = await prepare(candidate, forced, options);
      const activate = () => tf.setBackend(candidate);
      // tfjs-backend-webgpu lists adapters again when it starts.
      const active = candidate === "webgpu"
        ? await withoutDisplayLookup(activate)
        : await activate();
      if (!active) {
        throw new Error(`tf.setBackend("${candidate}") failed to initialise it`);
      }
      skipNodeBanner();
      await verifyBackend();
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      tried.push({ name: candidate, ok: false, reason: why });
      if (forced) throw new Error(`the ${candidate} backend could not start: ${why}`);
      continue;
    }
    tried.push({ name: candidate, ok: true, reason });
    // The first clause of each failure: the full text (install hints) stays in `tried`.
    const passedOver = tried.filter((t) => !t.ok)
      .map((t) => `${t.name}: ${t.reason.split("; ")[0]}`);
    return {
      name: candidate,
      reason: forced ? `asked for by name; ${reason}` : `fastest that works here; ${reason}` +
        (passedOver.length > 0 ? ` (passed over ${passedOver.join("; ")})` : ""),
      tried,
    };
  }
  // Unreachable: the cpu backend is always registered.
  throw new Error(`no backend could start: ${JSON.stringify(tried)}`);
}

/**
 * Checks startBackend's arguments before anything is tried, so that a bad option is an error
 * rather than a reason for "auto" to pass a backend over.
 */
function checkStartOptions(name: unknown, options: StartBackendOptions): void {
  const fn = "startBackend";
  if (typeof name !== "string") throw typeError(fn, "name", "a backend name", name);
  checkOneOf(fn, "name", name, NAMES);
  checkOptions(fn, options);
  const { blas, wasm, tensorflow, softwareGpu, fastGradients } = options;
  if (blas !== undefined) checkBlasOptions(fn, blas, "blas.");
  if (wasm !== undefined) {
    checkOptions(fn, wasm, "wasm");
    if (wasm.wasmPaths !== undefined && typeof wasm.wasmPaths !== "string") {
      throw typeError(fn, "wasm.wasmPaths", "a folder URL string", wasm.wasmPaths);
    }
  }
  if (tensorflow !== undefined) {
    checkOptions(fn, tensorflow, "tensorflow");
    for (const field of ["specifier", "from"] as const) {
      const value = tensorflow[field];
      if (value !== undefined && typeof value !== "string") {
        throw typeError(fn, `tensorflow.${field}`, "a string", value);
      }
    }
  }
  if (softwareGpu !== undefined) checkBoolean(fn, "softwareGpu", softwareGpu);
  if (fastGradients !== undefined) checkBoolean(fn, "fastGradients", fastGradients);
}

/**
 * tfjs's cpu backend (and blas, which derives from it) prints a banner on its first tensor in
 * Node-like runtimes, Deno included, recommending tfjs-node: startBackend has already weighed
 * that ("tensorflow" is its first choice), so the banner is marked as shown. Only that banner:
 * tfjs's other warnings stay. (`firstUse` is the cpu backend's own flag for it, tfjs 4.22.)
 */
function skipNodeBanner(): void {
  for (const name of new Set(["cpu", tf.getBackend()])) {
    const backend = tf.findBackend(name) as { firstUse?: unknown } | null;
    if (backend !== null && typeof backend.firstUse === "boolean") backend.firstUse = false;
  }
}

async function prepare(
  name: BackendName,
  forced: boolean,
  options: StartBackendOptions,
): Promise<string> {
  switch (name) {
    case "tensorflow": {
      const { specifier } = await loadTensorflowBackend(options.tensorflow);
      return `native libtensorflow from ${specifier}`;
    }
    case "webgpu": {
      const gpu = await probeWebGpu();
      if (!gpu.available) throw new Error(gpu.description);
      if (gpu.software && !forced && !options.softwareGpu) {
        throw new Error(
          `software adapter (${gpu.description}); slower than blas or wasm: ask for "webgpu" ` +
            `by name or pass softwareGpu: true to use it`,
        );
      }
      await registerWebGpuBackend();
      return `WebGPU on ${gpu.software ? "software adapter" : "GPU"} ${gpu.description}`;
    }
    case "blas": {
      const { library, oneDnn, oneDnnUnavailable } = registerBlasBackend(options.blas);
      return `the cpu backend with GEMMs on ${library}` +
        (oneDnn === undefined ? "" : ` and convolutions on ${oneDnn}`) + " through FFI" +
        (oneDnnUnavailable === undefined
          ? ""
          : ` (no oneDNN: ${oneDnnUnavailable.split(" (")[0]})`);
    }
    case "wasm": {
      await registerWasmBackend(options.wasm);
      return "XNNPACK WebAssembly (SIMD, one thread), no system library";
    }
    case "cpu":
      return "plain JavaScript kernels (slowest)";
  }
}
