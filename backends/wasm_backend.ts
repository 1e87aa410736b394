import * as tf from "@tensorflow/tfjs";
import { checkOptions, rangeError, typeError } from "@selfsup/internal";
import { registerWasmTrainingKernels } from "./wasm_training_kernels.ts";

/** Options for {@linkcode registerWasmBackend}. */
export interface WasmBackendOptions {
  /**
   * Folder URL (ending in "/") holding `tfjs-backend-wasm-simd.wasm` and
   * `tfjs-backend-wasm.wasm`. Default: the `dist/` folder of the installed
   * `@tensorflow/tfjs-backend-wasm` package.
   */
  wasmPaths?: string;
}

/** What {@linkcode registerWasmBackend} set up. */
export interface WasmRegistration {
  /** The tfjs backend name: "wasm". */
  name: "wasm";
  /** The folder URL the `.wasm` binaries are read from. */
  wasmPaths: string;
}

/**
 * The default folder of the wasm binaries: the `dist/` folder of the installed
 * `@tensorflow/tfjs-backend-wasm` npm package.
 *
 * @returns A folder URL ending in "/".
 * @throws {Error} When the package cannot be resolved (for example inside a bundle): pass
 *   `wasmPaths` to {@linkcode registerWasmBackend} then.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultWasmPaths } from "@selfsup/backends";
 *
 * assert.match(defaultWasmPaths(), /tfjs-backend-wasm.*\/dist\/$/);
 * ```
 */
export function defaultWasmPaths(): string {
  // The bare name follows the user's import map; the npm: form works where there is none
  // (as a published package), pinned to the tfjs version in use.
  const candidates = [
    "@tensorflow/tfjs-backend-wasm",
    `npm:@tensorflow/tfjs-backend-wasm@${tf.version_core}`,
  ];
  const failures: string[] = [];
  for (const specifier of candidates) {
    try {
      const entry = import.meta.resolve(specifier);
      if (entry.startsWith("file:") || entry.startsWith("http")) return new URL("./", entry).href;
      failures.push(`${specifier} resolved to ${entry}`);
    } catch (error) {
      failures.push(String(error));
    }
  }
  throw new Error(
    `cannot locate @tensorflow/tfjs-backend-wasm's .wasm files (${failures.join("; ")}); ` +
      `pass wasmPaths`,
  );
}

/**
 * Makes the `wasm` backend usable for training under Deno (call `tf.setBackend("wasm")` next).
 *
 * Loads `@tensorflow/tfjs-backend-wasm` (which registers the backend), points it at its own
 * `.wasm` binaries (Deno has no bundler to copy them next to the page) and registers the
 * training kernels it lacks ({@linkcode registerWasmTrainingKernels}). The backend then picks
 * the SIMD single-thread binary: its multi-threaded build needs workers Deno does not run.
 * No system library is needed. Reading a `file:` binary needs `--allow-read` on its folder.
 *
 * @param options Where the `.wasm` binaries are.
 * @returns The backend name and the folder used.
 * @throws {Error} When the binaries are `file:` URLs and Deno may not read them (the message
 *   names the `--allow-read` flag to add), or when the package's folder cannot be found.
 * @throws {TypeError} When `options` is not an object or `wasmPaths` not a string.
 * @throws {RangeError} When `wasmPaths` does not end in "/".
 * @example Train-capable wasm in three lines
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { registerWasmBackend } from "@selfsup/backends";
 *
 * tf.enableProdMode();
 * await registerWasmBackend();
 * await tf.setBackend("wasm");
 * const x = tf.ones([1, 3, 3, 1]) as tf.Tensor4D;
 * const dw = tf.grad((w) => tf.sum(tf.conv2d(x, w as tf.Tensor4D, 1, "valid")));
 * const g = dw(tf.ones([2, 2, 1, 1]));
 * assert.deepEqual(await g.data(), new Float32Array([4, 4, 4, 4])); // each tap sees 4 ones
 * tf.dispose([x, g]);
 * await tf.setBackend("cpu");
 * ```
 */
export async function registerWasmBackend(
  options: WasmBackendOptions = {},
): Promise<WasmRegistration> {
  const fn = "registerWasmBackend";
  checkOptions(fn, options);
  if (options.wasmPaths !== undefined && typeof options.wasmPaths !== "string") {
    throw typeError(fn, "wasmPaths", "a folder URL string", options.wasmPaths);
  }
  if (options.wasmPaths !== undefined && !options.wasmPaths.endsWith("/")) {
    throw rangeError(fn, "wasmPaths", 'a folder URL ending in "/"', options.wasmPaths);
  }
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  const wasmPaths = options.wasmPaths ?? defaultWasmPaths();
  if (wasmPaths.startsWith("file:")) {
    const path = decodeURIComponent(new URL(wasmPaths).pathname);
    if (Deno.permissions.querySync({ name: "read", path }).state !== "granted") {
      throw new Error(
        `the wasm backend reads its binaries from ${path}: run Deno with --allow-read ` +
          `(or --allow-read=${path})`,
      );
    }
  }
  // Platform fetch reads file: URLs in Deno; emscripten's own loader would treat Deno as Node.
  wasm.setWasmPaths(wasmPaths, true);
  registerWasmTrainingKernels();
  return { name: "wasm", wasmPaths };
}
