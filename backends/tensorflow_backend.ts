import { checkOptions, typeError } from "@selfsup/internal";

/** The npm packages that provide the `tensorflow` backend, GPU build first. */
export const TENSORFLOW_PACKAGES: readonly string[] = [
  "@tensorflow/tfjs-node-gpu",
  "@tensorflow/tfjs-node",
];

/** How to get the `tensorflow` backend, for error messages. */
export const TENSORFLOW_INSTALL_HINT =
  "install it next to your project (it is never a dependency of @selfsup/backends): " +
  "`deno install --allow-scripts npm:@tensorflow/tfjs-node@4.22.0` (CPU) or " +
  '`npm:@tensorflow/tfjs-node-gpu@4.22.0` (NVIDIA GPU) with `"nodeModulesDir": "auto"` in ' +
  "deno.json, and run with --allow-ffi --allow-read --allow-env (or -A); its libtensorflow " +
  "2.9.1 needs Linux x86-64, and the GPU build needs CUDA 11.2 and cuDNN 8.1";

/** Options for {@linkcode loadTensorflowBackend}. */
export interface TensorflowBackendOptions {
  /**
   * A module specifier to import instead of looking in `node_modules`, e.g.
   * `"npm:@tensorflow/tfjs-node@4.22.0"` (Deno may then download it).
   */
  specifier?: string;
  /** Folder to start the `node_modules` search from (default: the working directory). */
  from?: string;
}

/** What {@linkcode loadTensorflowBackend} loaded. */
export interface TensorflowRegistration {
  /** The tfjs backend name: "tensorflow". */
  name: "tensorflow";
  /** The module that was imported. */
  specifier: string;
}

/**
 * Finds an installed tfjs-node package: the first `node_modules/<package>/package.json`
 * in `from` or a folder above it, GPU build first.
 *
 * @param from Folder to start from (default: the working directory).
 * @returns The package name, or undefined when none is installed or reading is not allowed.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findTensorflowPackage, TENSORFLOW_PACKAGES } from "@selfsup/backends";
 *
 * const found = findTensorflowPackage(); // undefined unless tfjs-node is installed
 * assert.ok(found === undefined || TENSORFLOW_PACKAGES.includes(found));
 * assert.equal(findTensorflowPackage("/"), undefined); // no node_modules at the root
 * ```
 */
export function findTensorflowPackage(from?: string): string | undefined {
  let folder: string;
  try {
    folder = from ?? Deno.cwd();
  } catch {
    return undefined; // no --allow-read: cwd() is refused
  }
  for (;;) {
    for (const name of TENSORFLOW_PACKAGES) {
      try {
        Deno.statSync(`${folder}/node_modules/${name}/package.json`);
        return name;
      } catch {
        // absent or unreadable: try the next place
      }
    }
    const parent = folder.replace(/\/[^/]*$/, "");
    if (parent === folder || parent === "") return undefined;
    folder = parent;
  }
}

/**
 * Loads `@tensorflow/tfjs-node-gpu` or `@tensorflow/tfjs-node` when installed, which registers
 * the `tensorflow` backend (native libtensorflow; call `tf.setBackend("tensorflow")` next).
 *
 * Only a package found in `node_modules` (or an explicit `specifier`) is imported, so that
 * trying this backend never makes Deno download it from npm. The import goes through a
 * computed specifier, so type checking and publishing never need the package either.
 *
 * @param options A specifier to use instead of the `node_modules` search.
 * @returns The backend name and the module imported.
 * @throws {Error} When no tfjs-node package is installed or it fails to load; the message says
 *   how to install it and which CUDA / cuDNN the GPU build needs.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadTensorflowBackend } from "@selfsup/backends";
 *
 * // Searching from the file-system root finds no tfjs-node: the error says how to install it.
 * await assert.rejects(() => loadTensorflowBackend({ from: "/" }), /deno install --allow-scripts/);
 * ```
 */
export async function loadTensorflowBackend(
  options: TensorflowBackendOptions = {},
): Promise<TensorflowRegistration> {
  checkOptions("loadTensorflowBackend", options);
  for (const field of ["specifier", "from"] as const) {
    const value = options[field];
    if (value !== undefined && typeof value !== "string") {
      throw typeError("loadTensorflowBackend", field, "a string", value);
    }
  }
  const found = options.specifier === undefined ? findTensorflowPackage(options.from) : undefined;
  const specifier = options.specifier ?? (found === undefined ? undefined : `npm:${found}`);
  if (specifier === undefined) {
    throw new Error(`no @tensorflow/tfjs-node(-gpu) in node_modules; ${TENSORFLOW_INSTALL_HINT}`);
  }
  try {
    await import(specifier);
  } catch (error) {
    throw new Error(
      `importing ${specifier} failed (${firstLine(error)}); ${TENSORFLOW_INSTALL_HINT}`,
    );
  }
  return { name: "tensorflow", specifier };
}

function firstLine(error: unknown): string {
  return String(error instanceof Error ? error.message : error).split("\n")[0]!;
}
