/**
 * (Batched) matrix multiplication on BLAS: the `BatchMatMul` and `_FusedMatMul` kernels.
 * Transposes are passed to sgemm as flags, never materialised. Batch broadcasting where one
 * side's batch is 1 is handled; other broadcasts and non-float32 inputs run the cpu kernel.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { addBiasAndActivate } from "./conv2d.ts";
import { allFloat32, type BlasKernelArgs, cpuKernel, sizeOf } from "./_util.ts";

interface Plan {
  m: number;
  n: number;
  k: number;
  batch: number;
  strideA: number;
  strideB: number;
  outShape: number[];
}

/** The GEMM sizes of a BatchMatMul, or undefined when the cpu kernel must handle it. */
function planOf(a: tf.TensorInfo, b: tf.TensorInfo, ta: boolean, tb: boolean): Plan | undefined {
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb < 2) return undefined;
  const m = ta ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = ta ? a.shape[ra - 2] : a.shape[ra - 1];
  const kb = tb ? b.shape[rb - 1] : b.shape[rb - 2];
  const n = tb ? b.shape[rb - 2] : b.shape[rb - 1];
  if (k !== kb) return undefined;
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  let outer: number[];
  try {
    outer = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  } catch {
    return undefined;
  }
  const batch = sizeOf(outer);
  const batchA = sizeOf(outerA);
  const batchB = sizeOf(outerB);
  if ((batchA !== batch && batchA !== 1) || (batchB !== batch && batchB !== 1)) return undefined;
  return {
    m,
    n,
    k,
    batch,
    strideA: batchA === 1 ? 0 : m * k,
    strideB: batchB === 1 ? 0 : k * n,
    outShape: [...outer, m, n],
  };
}

function multiply(args: BlasKernelArgs, p: Plan, ta: boolean, tb: boolean): tf.TensorInfo {
  const { inputs, backend } = args;
  const av = backend.f32(inputs.a);
  const bv = backend.f32(inputs.b);
  const { m, n, k } = p;
  const c = backend.alloc(p.batch * m * n);
  if (k === 0) c.fill(0);
  else if (m > 0 && n > 0) {
    const lda = ta ? m : k;
    const ldb = tb ? k : n;
    for (let i = 0; i < p.batch; i++) {
      backend.blas.sgemm(
        ta,
        tb,
        m,
        n,
        k,
        1,
        av.subarray(i * p.strideA),
        lda,
        bv.subarray(i * p.strideB),
        ldb,
        0,
        c.subarray(i * m * n),
        n,
      );
    }
  }
  return backend.output(c, p.outShape);
}

/** The `BatchMatMul` kernel. */
export function batchMatMul(args: BlasKernelArgs): tf.TensorInfo {
  const { a, b } = args.inputs;
  const ta = Boolean(args.attrs?.transposeA);
  const tb = Boolean(args.attrs?.transposeB);
  const p = allFloat32(a, b) ? planOf(a, b, ta, tb) : undefined;
  if (p === undefined) return cpuKernel("BatchMatMul", args) as tf.TensorInfo;
  return multiply(args, p, ta, tb);
}

/** The `_FusedMatMul` kernel: matmul, then a bias over the last axis, then linear/relu. */
export function fusedMatMul(args: BlasKernelArgs): tf.TensorInfo {
  const { a, b } = args.inputs;
  const bias: tf.TensorInfo | undefined = args.inputs.bias;
  const ta = Boolean(args.attrs?.transposeA);
  const tb = Boolean(args.attrs?.transposeB);
  const activation = (args.attrs?.activation as string | undefined) ?? "linear";
  const p = allFloat32(a, b, bias) ? planOf(a, b, ta, tb) : undefined;
  // A bias that broadcasts along the last axis only, without raising the output's rank.
  const biasOk = bias === undefined || (p !== undefined &&
    bias.shape.length <= p.outShape.length &&
    (sizeOf(bias.shape) === 1 ||
      (sizeOf(bias.shape) === p.n && bias.shape[bias.shape.length - 1] === p.n)));
  if (p === undefined || !biasOk || (activation !== "linear" && activation !== "relu")) {
    return cpuKernel("_FusedMatMul", args) as tf.TensorInfo;
  }
  const out = multiply(args, p, ta, tb);
  const backend = args.backend;
  addBiasAndActivate(backend.f32(out), bias && backend.f32(bias), p.n, activation === "relu");
  return out;
}
