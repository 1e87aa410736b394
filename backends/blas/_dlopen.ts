/**
 * Opening the first of several candidate native libraries through Deno FFI, with a clear error
 * for a missing permission or library.
 *
 * @module
 */

/** The library opened and the file it came from. */
export interface Opened<S extends Deno.ForeignLibraryInterface> {
  path: string;
  lib: Deno.DynamicLibrary<S>;
}

/**
 * Opens the first of `candidates` that loads with all of `symbols`.
 *
 * @param what The library's name for messages, e.g. "a BLAS library".
 * @param candidates File names or paths, tried in order.
 * @param symbols The symbols to bind.
 * @param installHint What to install, appended to the error when nothing opens.
 * @throws {Error} Without FFI permission, or when no candidate opens (each one's reason listed).
 */
export function openFirst<S extends Deno.ForeignLibraryInterface>(
  what: string,
  candidates: string[],
  symbols: S,
  installHint: string,
): Opened<S> {
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") {
    throw new Error(
      `Loading ${what} needs FFI permission: run Deno with --allow-ffi (or --allow-all)`,
    );
  }
  const failures: string[] = [];
  for (const path of candidates) {
    try {
      return { path, lib: Deno.dlopen(path, symbols) };
    } catch (error) {
      failures.push(`${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new Error(`Could not open ${what} (${failures.join("; ")}): ${installHint}`);
}

/** Whether Deno may read and write the environment variable `variable` (never prompts). */
export function envGranted(variable: string): boolean {
  return Deno.permissions.querySync({ name: "env", variable }).state === "granted";
}

/**
 * The candidates to open: `explicit` (an option the caller passed), else the library named by
 * the environment variable `variable` (when set and readable), else `defaults`.
 *
 * The variable lets a user pick a library without touching code, and lets CI run the test
 * suite as on a machine without the library: a path that does not exist fails to open exactly
 * as an absent library does.
 */
export function candidatesFrom(
  explicit: string | undefined,
  variable: string,
  defaults: string[],
): string[] {
  if (explicit !== undefined) return [explicit];
  const named = envGranted(variable) ? Deno.env.get(variable) : undefined;
  return named === undefined || named === "" ? defaults : [named];
}

/**
 * Runs `f` with the environment variable `variable` set to `value` when it is unset and Deno
 * may set it, and unsets it again afterwards, so that the process environment (which child
 * processes inherit) is as it was. When the variable is already set, or Deno may not write it,
 * `f` runs with the environment untouched.
 */
export function withDefaultEnv<T>(variable: string, value: string, f: () => T): T {
  if (!envGranted(variable) || Deno.env.get(variable) !== undefined) return f();
  Deno.env.set(variable, value);
  try {
    return f();
  } finally {
    Deno.env.delete(variable);
  }
}
