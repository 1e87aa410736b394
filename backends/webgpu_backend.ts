import { withoutDisplayLookup } from "./_without_display_lookup.ts";

/** What {@linkcode probeWebGpu} found. */
export interface WebGpuProbe {
  /** Whether `navigator.gpu` gave an adapter at all. */
  available: boolean;
  /**
   * Whether the adapter is a software rasteriser (the fallback adapter, or a CPU driver such as
   * mesa's lavapipe "llvmpipe" or SwiftShader): slower than the `blas` backend for training.
   */
  software: boolean;
  /** The adapter's vendor / description, or why there is none. */
  description: string;
}

// Minimal shapes of the WebGPU objects read here (the DOM types are not in Deno's default lib).
interface AdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
interface Adapter {
  info?: AdapterInfo;
  isFallbackAdapter?: boolean;
}
interface Gpu {
  requestAdapter(options?: { powerPreference?: string }): Promise<Adapter | null>;
}

const SOFTWARE_DRIVERS = /llvmpipe|lavapipe|swiftshader|softpipe|software/i;

/**
 * Asks `navigator.gpu` for a high-performance adapter and says whether it is real hardware.
 *
 * Deno 2.9 exposes WebGPU without flags (older Deno needs `--unstable-webgpu`). A software
 * adapter is told apart by `adapter.info.isFallbackAdapter` or by a CPU driver name in its
 * description.
 *
 * On Linux with `XDG_RUNTIME_DIR` unset, Mesa's Vulkan layer would print
 * `error: XDG_RUNTIME_DIR is invalid or not set in the environment.` while looking for a
 * display server this probe does not need; with `--allow-env` the probe points the variable at
 * a folder that does not exist for the duration of the request (the lookup then fails
 * quietly) and unsets it again, so the probe prints nothing and the environment is unchanged.
 *
 * @returns Whether an adapter exists, whether it is software, and its description.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { probeWebGpu } from "@selfsup/backends";
 *
 * const gpu = await probeWebGpu();
 * assert.equal(typeof gpu.description, "string");
 * if (!gpu.available) assert.equal(gpu.software, false); // nothing to be software
 * ```
 */
export async function probeWebGpu(): Promise<WebGpuProbe> {
  const gpu = (globalThis.navigator as { gpu?: Gpu } | undefined)?.gpu;
  if (gpu === undefined) {
    return {
      available: false,
      software: false,
      description: "navigator.gpu is missing (Deno before 2.x needs --unstable-webgpu)",
    };
  }
  let adapter: Adapter | null;
  try {
    adapter = await withoutDisplayLookup(() =>
      gpu.requestAdapter({ powerPreference: "high-performance" })
    );
  } catch (error) {
    return { available: false, software: false, description: `requestAdapter failed: ${error}` };
  }
  if (adapter === null) {
    return { available: false, software: false, description: "no WebGPU adapter" };
  }
  const info = adapter.info ?? {};
  const description = info.description ||
    [info.vendor, info.architecture, info.device].filter((part) => part).join(" ");
  const fallback = info.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false;
  return {
    available: true,
    software: fallback || SOFTWARE_DRIVERS.test(description),
    description: description === "" ? "unnamed adapter" : description,
  };
}

/**
 * Loads `@tensorflow/tfjs-backend-webgpu`, which registers the `webgpu` backend (call
 * `tf.setBackend("webgpu")` next and read results with `await tensor.data()`).
 *
 * Loaded on demand rather than imported, since the package registers itself at a high
 * priority and would become tfjs's default backend for every importer of this package.
 *
 * @returns The tfjs backend name, "webgpu".
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { registerWebGpuBackend } from "@selfsup/backends";
 *
 * assert.equal(await registerWebGpuBackend(), "webgpu");
 * assert.ok(tf.findBackendFactory("webgpu") !== null);
 * ```
 */
export async function registerWebGpuBackend(): Promise<"webgpu"> {
  await import("@tensorflow/tfjs-backend-webgpu");
  return "webgpu";
}
