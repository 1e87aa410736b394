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
