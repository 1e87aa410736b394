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
 * Deno 2.9 exposes WebGPU without flags (older Deno needs `--unstable-webgpu`); on Linux the
 * Vulkan loader wants `XDG_RUNTIME_DIR` set. A software adapter is told apart by
 * `adapter.info.isFallbackAdapter` or by a CPU driver name in its description.
 *
 * @returns Whether an adapter exists, whether it is software, and its description.
 * @example
 * ```ts
 * import { probeWebGpu } from "@selfsup/backends";
 *
 * const gpu = await probeWebGpu();
 * console.log(gpu.available, gpu.software, gpu.description);
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
    adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
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
 * import { registerWebGpuBackend } from "@selfsup/backends";
 *
 * console.log(await registerWebGpuBackend()); // "webgpu"
 * ```
 */
export async function registerWebGpuBackend(): Promise<"webgpu"> {
  await import("@tensorflow/tfjs-backend-webgpu");
  return "webgpu";
}
