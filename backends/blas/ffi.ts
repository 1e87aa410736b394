/**
 * The FFI binding to a system CBLAS: OpenBLAS (`libopenblas.so.0`) on Linux, Accelerate on
 * macOS. Only the three routines the `blas` backend needs are bound.
 *
 * @module
 */

import { candidatesFrom, openFirst, withDefaultEnv } from "./_dlopen.ts";
import { checkDimension, checkFloats, checkMatrix } from "./_check_buffers.ts";

/** CBLAS enum values (cblas.h): row-major storage and the transpose flags. */
const ROW_MAJOR = 101;
const NO_TRANS = 111;
const TRANS = 112;

const SYMBOLS = {
  cblas_sgemm: {
    parameters: [
      "i32", // order
      "i32", // transA
      "i32", // transB
      "i32", // m
      "i32", // n
      "i32", // k
      "f32", // alpha
      "buffer", // a
      "i32", // lda
      "buffer", // b
      "i32", // ldb
      "f32", // beta
      "buffer", // c
      "i32", // ldc
    ],
    result: "void",
  },
  cblas_sgemv: {
    parameters: [
      "i32", // order
      "i32", // trans
      "i32", // m
      "i32", // n
      "f32", // alpha
      "buffer", // a
      "i32", // lda
      "buffer", // x
      "i32", // incx
      "f32", // beta
      "buffer", // y
      "i32", // incy
    ],
    result: "void",
  },
  cblas_sasum: { parameters: ["i32", "buffer", "i32"], result: "f32" },
  // OpenBLAS only; Accelerate sizes its own thread pool.
  openblas_set_num_threads: { parameters: ["i32"], result: "void", optional: true },
} as const;

/** A float32 CBLAS opened through `Deno.dlopen`; all matrices are row-major. */
export interface Blas {
  /** The library file that was opened. */
  readonly path: string;
  /**
   * C = alpha * op(A) * op(B) + beta * C, with op(A) [m, k], op(B) [k, n], C [m, n].
   * The arrays may be `subarray` views: the call starts at their first element.
   */
  sgemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: Float32Array,
    lda: number,
    b: Float32Array,
    ldb: number,
    beta: number,
    c: Float32Array,
    ldc: number,
  ): void;
  /** y = alpha * op(A) * x + beta * y for A [m, n] (op(A) is A^T when `trans`). */
  sgemv(
    trans: boolean,
    m: number,
    n: number,
    alpha: number,
    a: Float32Array,
    lda: number,
    x: Float32Array,
    beta: number,
    y: Float32Array,
  ): void;
  /** sum(|x[i]|): NaN when any element is NaN, infinite when any is infinite. */
  sasum(x: Float32Array): number;
  /** Sets the BLAS thread count where the library allows it (OpenBLAS); else does nothing. */
  setThreads(threads: number): void;
  /** Closes the library; the object must not be used afterwards. */
  close(): void;
}

/** Options for {@linkcode openBlas}. */
export interface OpenBlasOptions {
  /** A library path or file name to open instead of the platform's default candidates. */
  libraryPath?: string;
}

/** The libraries tried in order on each platform when no path is given. */
export function defaultBlasCandidates(os: string = Deno.build.os): string[] {
  if (os === "darwin") return ["/System/Library/Frameworks/Accelerate.framework/Accelerate"];
  if (os === "windows") return ["libopenblas.dll", "openblas.dll"];
  return ["libopenblas.so.0", "libopenblas.so"];
}

function installHint(os: string): string {
  if (os === "darwin") return "Accelerate ships with macOS; pass libraryPath to use another CBLAS";
  if (os === "windows") return "put libopenblas.dll on the PATH or pass libraryPath";
  return "install OpenBLAS (Debian/Ubuntu: `apt-get install libopenblas0-pthread`, " +
    "Fedora: `dnf install openblas`), pass libraryPath or set SELFSUP_BLAS_LIBRARY";
}

/**
 * The environment variable that names the BLAS library to open when no `libraryPath` is given
 * (a path or file name; see {@linkcode openBlas}).
 */
export const BLAS_LIBRARY_VARIABLE = "SELFSUP_BLAS_LIBRARY";

/**
 * OpenBLAS workers spin (calling sched_yield) for about 2^28 cycles after each call before
 * they sleep; between the GEMMs of a training step that keeps a core busy that the JavaScript
 * thread and V8's helpers want. OpenBLAS reads `OPENBLAS_THREAD_TIMEOUT` (log2 cycles, 4-30)
 * once, while the library loads, so it is set to the shortest, 4, for the load only (unless the
 * user set it, or Deno may not write it) and unset again: the process environment, which
 * child processes inherit, stays as it was. Measured on 2 cores: 2 threads with it beat
 * 1 thread (with or without it) and 2 threads without it (`bench/blas_profile.ts`,
 * alternating runs).
 */
const THREAD_TIMEOUT = { variable: "OPENBLAS_THREAD_TIMEOUT", value: "4" } as const;

/**
 * Opens a system CBLAS through Deno FFI.
 *
 * Tries `options.libraryPath`, else the library named by the environment variable
 * `SELFSUP_BLAS_LIBRARY` (read with `--allow-env`), else the platform's usual library names
 * (see {@linkcode defaultBlasCandidates}), and binds `cblas_sgemm`, `cblas_sgemv`,
 * `cblas_sasum` and, on OpenBLAS, `openblas_set_num_threads`. A path that does not exist fails
 * as an absent library does, which is how CI runs the tests as on a machine without OpenBLAS.
 *
 * While the library loads, and only then, `OPENBLAS_THREAD_TIMEOUT` is 4 (unless you set it),
 * so idle OpenBLAS threads sleep instead of spinning; the environment is restored afterwards.
 *
 * Every routine checks that its arrays hold the elements its dimensions address before the
 * native call (a `RangeError` otherwise), so a size mistake is an exception, not a heap
 * overwrite.
 *
 * @param options Which library to open.
 * @returns The bound routines.
 * @throws {Error} When Deno runs without `--allow-ffi`, or when no candidate library can be
 *   opened (the message says what to install).
 * @example Multiply two 2x2 matrices, where a BLAS library is installed
 * ```ts
 * import assert from "node:assert/strict";
 * import { openBlas } from "./ffi.ts"; // internal: the backend's own binding
 *
 * let blas;
 * try {
 *   blas = openBlas();
 * } catch (error) {
 *   // No OpenBLAS here (Debian: apt-get install libopenblas0-pthread), or no --allow-ffi.
 *   assert.match((error as Error).message, /a BLAS library/);
 * }
 * if (blas !== undefined) {
 *   const c = new Float32Array(4);
 *   const a = new Float32Array([1, 2, 3, 4]);
 *   blas.sgemm(false, false, 2, 2, 2, 1, a, 2, new Float32Array([1, 0, 0, 1]), 2, 0, c, 2);
 *   assert.deepEqual(c, a);
 *   blas.close();
 * }
 * ```
 */
export function openBlas(options: OpenBlasOptions = {}): Blas {
  const os = Deno.build.os;
  const candidates = candidatesFrom(
    options.libraryPath,
    BLAS_LIBRARY_VARIABLE,
    defaultBlasCandidates(os),
  );
  const { path, lib } = withDefaultEnv(
    THREAD_TIMEOUT.variable,
    THREAD_TIMEOUT.value,
    () => openFirst("a BLAS library", candidates, SYMBOLS, installHint(os)),
  );
  const s = lib.symbols;
  return {
    path,
    sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
      checkDimension("sgemm", "m", m);
      checkDimension("sgemm", "n", n);
      checkDimension("sgemm", "k", k);
      // Stored shapes: A is [m, k] or, transposed, [k, m]; B is [k, n] or [n, k]; C is [m, n].
      checkMatrix("sgemm", "a", a, transA ? k : m, transA ? m : k, lda);
      checkMatrix("sgemm", "b", b, transB ? n : k, transB ? k : n, ldb);
      checkMatrix("sgemm", "c", c, m, n, ldc);
      s.cblas_sgemm(
        ROW_MAJOR,
        transA ? TRANS : NO_TRANS,
        transB ? TRANS : NO_TRANS,
        m,
        n,
        k,
        alpha,
        a,
        lda,
        b,
        ldb,
        beta,
        c,
        ldc,
      );
    },
    sgemv(trans, m, n, alpha, a, lda, x, beta, y) {
      checkDimension("sgemv", "m", m);
      checkDimension("sgemv", "n", n);
      checkMatrix("sgemv", "a", a, m, n, lda);
      checkFloats("sgemv", "x", x, trans ? m : n);
      checkFloats("sgemv", "y", y, trans ? n : m);
      s.cblas_sgemv(ROW_MAJOR, trans ? TRANS : NO_TRANS, m, n, alpha, a, lda, x, 1, beta, y, 1);
    },
    sasum(x) {
      checkFloats("sasum", "x", x, 0);
      return s.cblas_sasum(x.length, x, 1);
    },
    setThreads(threads) {
      s.openblas_set_num_threads?.(threads);
    },
    close() {
      lib.close();
    },
  };
}
