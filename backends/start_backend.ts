import * as tf from "@tensorflow/tfjs";
import { type BlasBackendOptions, registerBlasBackend } from "./blas_backend.ts";
import { installBatchNormGradient } from "./batch_norm_gradient.ts";
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
 * with {@linkcode verifyBackend} (a small convolution, its filter gradient and a matrix
 * product against known values); the first that passes is kept. Any name can also be forced.
 * Every backend gets the faster batch-norm gradient of `installBatchNormGradient`.
 *
 * Deno permissions: `blas` needs `--allow-ffi`; `wasm` `--allow-read` (its `.wasm` files);
 * `tensorflow` `--allow-read --allow-ffi --allow-env`; `webgpu` none on Deno 2.9 (set
 * `XDG_RUNTIME_DIR` on Linux). A missing permission passes the backend over in `"auto"` and is
 * named in `tried`; a forced backend throws a message naming the flag.
 *
 * @param name `"auto"` or the backend to force.
 * @param options Options of the individual backends.
 * @returns The backend started, why, and every attempt.
 * @throws {TypeError} When `name` is not one of "auto", "tensorflow", "webgpu", "blas",
 *   "wasm", "cpu".
 * @throws {Error} When a forced backend cannot start or gives wrong results (the message says
 *   why and how to fix it).
 * @example Start the fastest backend
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { startBackend } from "@selfsup/backends";
 *
 * tf.enableProdMode();
 * const started = await startBackend("auto");
 * console.log(`${started.name}: ${started.reason}`);
 * console.assert(tf.getBackend() === started.name);
 * ```
 * @example Force the zero-setup wasm backend
 * ```ts
 * import { startBackend } from "@selfsup/backends";
 *
 * const { name } = await startBackend("wasm");
 * console.log(name); // "wasm"
 * ```
 */
export async function startBackend(
  name: "auto" | BackendName = "auto",
  options: StartBackendOptions = {},
): Promise<StartedBackend> {
  if (!NAMES.includes(name)) {
    throw new TypeError(
      `name must be one of ${NAMES.map((n) => `"${n}"`).join(", ")}, got ${JSON.stringify(name)}`,
    );
  }
  installBatchNormGradient();
  const forced = name !== "auto";
  const tried: BackendAttempt[] = [];
  for (const candidate of forced ? [name] : AUTO_ORDER) {
    let reason: string;
    try {
      reason = await prepare(candidate, forced, options);
      if (!(await tf.setBackend(candidate))) {
        throw new Error(`tf.setBackend("${candidate}") failed to initialise it`);
      }
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
      const { library, oneDnn } = registerBlasBackend(options.blas);
      return `the cpu backend with GEMMs on ${library}` +
        (oneDnn === undefined ? "" : ` and convolutions on ${oneDnn}`) + " through FFI";
    }
    case "wasm": {
      await registerWasmBackend(options.wasm);
      return "XNNPACK WebAssembly (SIMD, one thread), no system library";
    }
    case "cpu":
      return "plain JavaScript kernels (slowest)";
  }
}
