/**
 * Test helpers for the tests that need a system library (OpenBLAS, oneDNN) or a WebGPU
 * adapter: why it is missing here, if it is. Such tests skip where it is missing, and one test
 * per library says why in its name. With `SELFSUP_REQUIRE_NATIVE=1` (CI's normal run, which
 * installs them) a missing one throws instead, so the run fails rather than going green with
 * the native tests skipped.
 *
 * @module
 */
import { openBlas } from "./blas/ffi.ts";
import { openOneDnn } from "./blas/onednn.ts";
import { probeWebGpu, type WebGpuProbe } from "./webgpu_backend.ts";

/** Set to "1" to make a missing native library fail the tests instead of skipping them. */
export const REQUIRE_NATIVE_VARIABLE = "SELFSUP_REQUIRE_NATIVE";

/** Whether this run requires the native libraries (`SELFSUP_REQUIRE_NATIVE=1`). */
export function nativeRequired(): boolean {
  return Deno.env.get(REQUIRE_NATIVE_VARIABLE) === "1";
}

/**
 * `why` (the reason `what` is missing, or undefined when it is here), after throwing when the
 * run requires the native libraries and `what` is missing.
 */
export function unlessRequired(what: string, why: string | undefined): string | undefined {
  if (why !== undefined && nativeRequired()) {
    throw new Error(
      `${REQUIRE_NATIVE_VARIABLE}=1, but ${what} is missing here and its tests would skip: ${why}`,
    );
  }
  return why;
}

function openFails(open: () => { close(): void }): string | undefined {
  try {
    open().close();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Why the blas tests skip here (no BLAS library opens), or undefined when they run. */
export const blasMissing: string | undefined = unlessRequired(
  "OpenBLAS",
  openFails(() => openBlas()),
);

/** Why the oneDNN tests skip here (no BLAS, or no oneDNN), or undefined when they run. */
export const oneDnnMissing: string | undefined = blasMissing === undefined
  ? unlessRequired("oneDNN", openFails(() => openOneDnn()))
  : "they run on the blas backend, and no BLAS library opens here";

/** The WebGPU adapter here; throws when there is none and the run requires one. */
export async function webGpuForTests(): Promise<WebGpuProbe> {
  const gpu = await probeWebGpu();
  unlessRequired("a WebGPU adapter", gpu.available ? undefined : gpu.description);
  return gpu;
}

/** The suffix of the one test name that says why a group of tests skips ("" when they run). */
export function skipNote(group: string, missing: string | undefined): string {
  return missing === undefined ? "" : ` [skipped here, as are all ${group} tests: ${missing}]`;
}
