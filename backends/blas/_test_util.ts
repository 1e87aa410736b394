/**
 * Test helpers for the blas kernels: whether a BLAS library and oneDNN can be opened here
 * (tests skip when not, unless SELFSUP_REQUIRE_NATIVE=1; see ../_test_util.ts), the blas
 * backend registered, and running the same computation on the blas and cpu backends.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { Random } from "@selfsup/internal";
import { registerBlasBackend } from "../blas_backend.ts";
import { installReluGradient } from "../relu_gradient.ts";
import type { BlasBackend } from "./backend.ts";
import { blasMissing, oneDnnMissing } from "../_test_util.ts";

export { blasMissing, oneDnnMissing };

/** `ignore` value for blas tests (ffi_test.ts's first test says why they skip). */
export const ignoreBlas: boolean = blasMissing !== undefined;

/** `ignore` value for tests of the oneDNN paths (onednn_test.ts's first test says why). */
export const ignoreOneDnn: boolean = oneDnnMissing !== undefined;

tf.enableProdMode();
if (!ignoreBlas) {
  registerBlasBackend();
  // The relu-gradient tests run tfjs's Relu gradient through the blas backend's fused kernel.
  installReluGradient();
}

/** The kernel paths of the blas backend: oneDNN, or its own (GEMMs and JavaScript loops). */
export type KernelPath = "onednn" | "builtin";

/** Runs `f` with the blas backend on kernel path `path`, then restores the setting. */
export async function onPath(path: KernelPath, f: () => Promise<void>): Promise<void> {
  const backend = tf.findBackend("blas") as unknown as BlasBackend;
  const before = backend.useOneDnn;
  backend.useOneDnn = path === "onednn";
  try {
    await f();
  } finally {
    backend.useOneDnn = before;
  }
}

/** What {@linkcode onBoth} returns: each result's values, and its dtype and shape. */
export interface BothResults {
  blas: Float32Array[];
  cpu: Float32Array[];
  /** Each result's `dtype [shape]` on the blas and on the cpu backend. */
  kinds: { blas: string[]; cpu: string[] };
}

/**
 * Runs `f` on the blas backend and on the cpu backend (same seeds) and returns the values of
 * each result tensor from both (and their dtypes and shapes), disposing everything it made.
 */
export function onBoth(f: () => tf.Tensor | tf.Tensor[]): Promise<BothResults> {
  return onEach(f, f);
}

/**
 * {@linkcode onBoth} with one function for each backend: `onBlas` on blas (a fused kernel, say)
 * and `onCpu` on cpu (the op chain it must equal).
 */
export async function onEach(
  onBlas: () => tf.Tensor | tf.Tensor[],
  onCpu: () => tf.Tensor | tf.Tensor[],
): Promise<BothResults> {
  const run = async (backend: string, f: () => tf.Tensor | tf.Tensor[]) => {
    assert.ok(await tf.setBackend(backend));
    const before = tf.memory().numTensors;
    const out = tf.tidy(f);
    const list = Array.isArray(out) ? out : [out];
    const values = list.map((t) => Float32Array.from(t.dataSync()));
    const kinds = list.map((t) => `${t.dtype} [${t.shape}]`);
    tf.dispose(list);
    assert.equal(tf.memory().numTensors, before, `${backend} leaked tensors`);
    return { values, kinds };
  };
  const blas = await run("blas", onBlas);
  const cpu = await run("cpu", onCpu);
  return { blas: blas.values, cpu: cpu.values, kinds: { blas: blas.kinds, cpu: cpu.kinds } };
}

/**
 * Asserts |a - b| <= tol * (1 + |b|) elementwise, with NaN matching NaN.
 */
export function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-4, what = "") {
  assert.equal(a.length, b.length, `${what}: length ${a.length} vs ${b.length}`);
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue; // also equal infinities
    if (Number.isNaN(b[i])) {
      assert.ok(Number.isNaN(a[i]), `${what}[${i}]: ${a[i]} vs NaN`);
      continue;
    }
    const err = Math.abs(a[i] - b[i]);
    assert.ok(err <= tol * (1 + Math.abs(b[i])), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
  }
}

/** Asserts every output of {@linkcode onBoth} matches to `tol`. */
export function assertBothClose(
  r: { blas: Float32Array[]; cpu: Float32Array[] },
  tol = 1e-4,
  what = "",
): void {
  assert.equal(r.blas.length, r.cpu.length);
  r.blas.forEach((v, i) => assertClose(v, r.cpu[i], tol, `${what} output ${i}`));
}

/** A seeded picker of test shapes: `pick(n)` is a uniform integer in [0, n). */
export function rng(seed: number): (n: number) => number {
  const random = new Random(seed);
  return (n: number) => random.integer(n);
}

/**
 * Asserts every output of {@linkcode onBoth} is the cpu backend's exactly: the same dtype and
 * shape, and `Object.is` on each element, so -0 differs from 0 and NaN matches NaN (for
 * kernels that promise bit-identical results).
 */
export function assertBothSame(r: BothResults, what = ""): void {
  assert.deepEqual(r.kinds.blas, r.kinds.cpu, `${what}: dtypes and shapes`);
  assert.equal(r.blas.length, r.cpu.length, `${what}: output count`);
  r.blas.forEach((v, k) => {
    const c = r.cpu[k];
    assert.equal(v.length, c.length, `${what} output ${k}: length ${v.length} vs ${c.length}`);
    for (let i = 0; i < v.length; i++) {
      if (!Object.is(v[i], c[i])) {
        assert.fail(`${what} output ${k}[${i}]: blas ${v[i]} vs cpu ${c[i]}`);
      }
    }
  });
}
