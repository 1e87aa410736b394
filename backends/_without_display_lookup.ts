/**
 * Keeping WebGPU's adapter lookup from printing a display-server error on headless Linux.
 *
 * @module
 */
import { envGranted } from "./blas/_dlopen.ts";

const VARIABLE = "XDG_RUNTIME_DIR";
/** A folder that does not exist: the display lookup finds no socket there and stays quiet. */
const NO_DISPLAY = "/nonexistent/selfsup-no-display";

/**
 * Runs `f` (which asks WebGPU for adapters) so that no display-server error is printed.
 *
 * Mesa's Vulkan device-selection layer asks the Wayland display server which GPU drives the
 * screen each time adapters are listed; with `XDG_RUNTIME_DIR` unset, libwayland prints
 * `error: XDG_RUNTIME_DIR is invalid or not set in the environment.` (twice per listing), which
 * reads as a failure though nothing failed: a compute adapter needs no display. So on Linux,
 * while `f` runs, an unset `XDG_RUNTIME_DIR` points at a folder that does not exist (the lookup
 * then fails quietly) and is unset again afterwards. A set variable, another OS, or no
 * `--allow-env` for the variable leaves the environment untouched. Code running concurrently
 * during `f` could see the temporary value; nothing here reads it but the display lookup.
 */
export async function withoutDisplayLookup<T>(f: () => Promise<T>): Promise<T> {
  if (
    Deno.build.os !== "linux" || !envGranted(VARIABLE) || Deno.env.get(VARIABLE) !== undefined
  ) {
    return await f();
  }
  Deno.env.set(VARIABLE, NO_DISPLAY);
  try {
    return await f();
  } finally {
    Deno.env.delete(VARIABLE);
  }
}
