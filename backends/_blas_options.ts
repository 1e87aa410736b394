/**
 * Validation of the blas backend's options, shared by `registerBlasBackend` and
 * `startBackend` (which checks them before trying any backend, so that a bad option is an
 * error rather than a reason to pass blas over).
 *
 * @module
 */
import { checkInteger, checkNumber, checkOptions, typeError } from "@selfsup/internal";
import type { BlasBackendOptions } from "./blas_backend.ts";

/**
 * Checks `options` in the house format, as `fn` was called; `prefix` names where the user
 * put them ("" for `registerBlasBackend`'s own argument, "blas." inside `startBackend`'s).
 *
 * @throws {TypeError} For a non-object or a field of the wrong type.
 * @throws {RangeError} For `threads` < 1, `poolBytes` < 0 (or not integers), or an infinite
 *   `priority`.
 */
export function checkBlasOptions(fn: string, options: BlasBackendOptions, prefix: string): void {
  checkOptions(fn, options, prefix === "" ? "options" : prefix.slice(0, -1));
  const { libraryPath, threads, poolBytes, priority, oneDnn } = options;
  if (libraryPath !== undefined && typeof libraryPath !== "string") {
    throw typeError(fn, `${prefix}libraryPath`, "a string", libraryPath);
  }
  if (threads !== undefined) checkInteger(fn, `${prefix}threads`, threads, { min: 1 });
  if (poolBytes !== undefined) checkInteger(fn, `${prefix}poolBytes`, poolBytes, { min: 0 });
  if (priority !== undefined) checkNumber(fn, `${prefix}priority`, priority);
  if (oneDnn !== undefined && typeof oneDnn !== "boolean" && typeof oneDnn !== "string") {
    throw typeError(fn, `${prefix}oneDnn`, "a boolean or a library path", oneDnn);
  }
}
