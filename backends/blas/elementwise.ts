/**
 * Float32 elementwise kernels without per-element allocation or index arithmetic: binary ops
 * and comparisons with numpy broadcasting (collapsed to the fewest loop dimensions, with a
 * tight inner loop) and the unary ops of a training step. Float32 outputs come from the
 * backend's buffer pool. Non-float32 inputs run the cpu kernel.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { allFloat32, type BlasKernelArgs, cpuKernel, sizeOf } from "./_util.ts";
import type { OneDnnBinaryOp, OneDnnUnaryOp } from "./onednn.ts";

/**
 * The broadcast loops of one op over a [rows, n] block: for each row r,
 * out[o + r*n + i] = a[ai + r*ar + i*as] op b[bi + r*br + i*bs] for i < n, where the inner
 * strides are 0 (broadcast) or 1. Taking whole rows (rather than one call per row) matters for
 * per-channel broadcasts, whose rows are only C long. One function per op keeps each loop
 * monomorphic for the JIT. Comparisons write 0 or 1 into a Uint8Array (tfjs's bool storage).
 */
type Run<Out = Float32Array> = (
  a: Float32Array,
  ai: number,
  ar: number,
  as: number,
  b: Float32Array,
  bi: number,
  br: number,
  bs: number,
  out: Out,
  o: number,
  rows: number,
  n: number,
) => void;

const addRun: Run = (a, ai, ar, as, b, bi, br, bs, out, o, rows, n) => {
  for (let r = 0; r < rows; r++, ai += ar, bi += br, o += n) {
    if (as === 1 && bs === 1) {
      for (let i = 0; i < n; i++) out[o + i] = a[ai + i] + b[bi + i];
    } else if (bs === 0) {
      const y = b[bi];
      for (let i = 0; i < n; i++) out[o + i] = a[ai + i * as] + y;
    } else {
      const x = a[ai];
      for (let i = 0; i < n; i++) out[o + i] = x + b[bi + i];
    }
  }
};

const subRun: Run = (a, ai, ar, as, b, bi, br, bs, out, o, rows, n) => {
  for (let r = 0; r < rows; r++, ai += ar, bi += br, o += n) {
    if (as === 1 && bs === 1) {
      for (let i = 0; i < n; i++) out[o + i] = a[ai + i] - b[bi + i];
    } else if (bs === 0) {
      const y = b[bi];
      for (let i = 0; i < n; i++) out[o + i] = a[ai + i * as] - y;
    } else {
      const x = a[ai];
      for (let i = 0; i < n; i++) out[o + i] = x - b[bi + i];
    }
  }
};

const mulRun: Run = (a, ai, ar, as, b, bi, br, bs, out, o, rows, n) => {
  for (let r = 0; r < rows; r++, ai += ar, bi += br, o += n) {
    if (as === 1 && bs === 1) {
      for (let i = 0; i < n; i++) out[o + i] = a[ai + i] * b[bi + i];
    } else if (bs === 0) {
      const y = b[bi];
      for (let i = 0; i < n; i++) out[o + i] = a[ai + i * as] * y;
    } else {
      const x = a[ai];
      for (let i = 0; i < n; i++) out[o + i] = x * b[bi + i];
    }
  }
};

const divRun: Run = (a, ai, ar, as, b, bi, br, bs, out, o, rows, n) => {
  for (let r = 0; r < rows; r++, ai += ar, bi += br, o += n) {
    if (as === 1 && bs === 1) {
      for (let i = 0; i < n; i++) out[o + i] = a[ai + i] / b[bi + i];
    } else if (bs === 0) {
      const y = b[bi];
      for (let i = 0; i < n; i++) out[o + i] = a[ai + i * as] / y;
    } else {
      const x = a[ai];
      for (let i = 0; i < n; i++) out[o + i] = x / b[bi + i];
    }
  }
};

const squaredDifferenceRun: Run = (a, ai, ar, as, b, bi, br, bs, out, o, rows, n) => {
  for (let r = 0; r < rows; r++, ai += ar, bi += br, o += n) {
    if (as === 1 && bs === 1) {
      for (let i = 0; i < n; i++) out[o + i] = (a[ai + i] - b[bi + i]) * (a[ai + i] - b[bi + i]);
    } else if (bs === 0) {
      const y = b[bi];
      for (let i = 0; i < n; i++) out[o + i] = (a[ai + i * as] - y) * (a[ai + i * as] - y);
    } else {
      const x = a[ai];
      for (let i = 0; i < n; i++) out[o + i] = (x - b[bi + i]) * (x - b[bi + i]);
    }
  }
};

const maximumRun: Run = (a, ai, ar, as, b, bi, br, bs, out, o, rows, n) => {
  for (let r = 0; r < rows; r++, ai += ar, bi += br, o += n) {
    if (as === 1 && bs === 1) {
      for (let i = 0; i < n; i++) out[o + i] = Math.max(a[ai + i], b[bi + i]);
    } else if (bs === 0) {
      const y = b[bi];
      for (let i = 0; i < n; i++) out[o + i] = Math.max(a[ai + i * as], y);
    } else {
      const x = a[ai];
      for (let i = 0; i < n; i++) out[o + i] = Math.max(x, b[bi + i]);
    }
  }
};

const minimumRun: Run = (a, ai, ar, as, b, bi, br, bs, out, o, rows, n) => {
  for (let r = 0; r < rows; r++, ai += ar, bi += br, o += n) {
    if (as === 1 && bs === 1) {
      for (let i = 0; i < n; i++) out[o + i] = Math.min(a[ai + i], b[bi + i]);
    } else if (bs === 0) {
      const y = b[bi];
      for (let i = 0; i < n; i++) out[o + i] = Math.min(a[ai + i * as], y);
    } else {
      const x = a[ai];
      for (let i = 0; i < n; i++) out[o + i] = Math.min(x, b[bi + i]);
    }
  }
};

/** tfjs's floor-style modulo: the remainder takes the divisor's sign. */
function floorMod(x: number, y: number): number {
  const rem = x % y;
  return (x < 0 && y < 0) || (x >= 0 && y >= 0) ? rem : (rem + y) % y;
}

/**
 * floorMod(x, y) for a finite y > 0 without the remainder (a call into C for doubles, most of
 * the op's time) where x lies in [-y, 2y), as the augmentations' hue arithmetic has it, and
 * without a branch on which part of that range x is in (random from pixel to pixel). The same
 * values: x in [0, y) is its own remainder (k = 0; x - 0 keeps a -0); x in [y, 2y) gives
 * x - y, exact (Sterbenz; k = 1); x in [-y, 0) has remainder x (-0 for -y) and floorMod's
 * rem + y is x + y (k = -1), in [0, y], whose remainder is itself below y and 0 at y.
 */
function floorModPositive(x: number, y: number): number {
  if (!(x >= -y && x < 2 * y)) return floorMod(x, y);
  const k = +(x >= y) - +(x < 0);
  const s = x - k * y;
  return s < y ? s : 0;
}

const modRun: Run = (a, ai, ar, as, b, bi, br, bs, out, o, rows, n) => {
  for (let r = 0; r < rows; r++, ai += ar, bi += br, o += n) {
    const y = b[bi];
    if (bs === 0 && y > 0 && y < Infinity) {
      for (let i = 0; i < n; i++) out[o + i] = floorModPositive(a[ai + i * as], y);
    } else {
      for (let i = 0; i < n; i++) out[o + i] = floorMod(a[ai + i * as], b[bi + i * bs]);
    }
  }
};

/**
 * Collapses a broadcast into loops: dims where both operands step alike merge, size-1 dims
 * vanish. Returns the output dims with each operand's element strides (0 = broadcast).
 */
export function collapseBroadcast(
  aShape: readonly number[],
  bShape: readonly number[],
  outShape: readonly number[],
): { dims: number[]; aStrides: number[]; bStrides: number[] } {
  const rank = outShape.length;
  const pad = (s: readonly number[]) => [...new Array(rank - s.length).fill(1), ...s];
  const as = pad(aShape);
  const bs = pad(bShape);
  // Walk from the innermost dim outwards, merging while the broadcast pattern is unchanged.
  const dims: number[] = [];
  const aBcast: boolean[] = [];
  const bBcast: boolean[] = [];
  for (let d = rank - 1; d >= 0; d--) {
    const size = outShape[d];
    if (size === 1) continue;
    const ab = as[d] === 1;
    const bb = bs[d] === 1;
    const last = dims.length - 1;
    if (last >= 0 && aBcast[last] === ab && bBcast[last] === bb) {
      dims[last] *= size;
    } else {
      dims.push(size);
      aBcast.push(ab);
      bBcast.push(bb);
    }
  }
  dims.reverse();
  aBcast.reverse();
  bBcast.reverse();
  const strides = (bcast: boolean[]) => {
    const s = new Array<number>(dims.length);
    let acc = 1;
    for (let d = dims.length - 1; d >= 0; d--) {
      s[d] = bcast[d] ? 0 : acc;
      if (!bcast[d]) acc *= dims[d];
    }
    return s;
  };
  return { dims, aStrides: strides(aBcast), bStrides: strides(bBcast) };
}

/**
 * Runs `run` over the broadcast of `a` (values `av`) and `b` into `out` (`size` elements of
 * `outShape`): an odometer over the dims outside the last two, the last two one `run`.
 */
function broadcastLoop<Out>(
  run: Run<Out>,
  a: tf.TensorInfo,
  av: Float32Array,
  b: tf.TensorInfo,
  bv: Float32Array,
  outShape: number[],
  out: Out,
  size: number,
): void {
  if (size === 0) return;
  const { dims, aStrides, bStrides } = collapseBroadcast(a.shape, b.shape, outShape);
  const rank = dims.length;
  if (rank === 0) {
    run(av, 0, 0, 0, bv, 0, 0, 0, out, 0, 1, 1);
    return;
  }
  const n = dims[rank - 1];
  const rows = rank >= 2 ? dims[rank - 2] : 1;
  const ar = rank >= 2 ? aStrides[rank - 2] : 0;
  const br = rank >= 2 ? bStrides[rank - 2] : 0;
  const outer = Math.max(rank - 2, 0);
  const idx = new Array<number>(outer).fill(0);
  let ao = 0;
  let bo = 0;
  for (let o = 0; o < size; o += rows * n) {
    run(av, ao, ar, aStrides[rank - 1], bv, bo, br, bStrides[rank - 1], out, o, rows, n);
    for (let d = outer - 1; d >= 0; d--) {
      ao += aStrides[d];
      bo += bStrides[d];
      if (++idx[d] < dims[d]) break;
      ao -= aStrides[d] * dims[d];
      bo -= bStrides[d] * dims[d];
      idx[d] = 0;
    }
  }
}

function binary(run: Run, name: string) {
  return (args: BlasKernelArgs): tf.TensorInfo => {
    const { inputs, backend } = args;
    const { a, b } = inputs;
    if (!allFloat32(a, b)) return cpuKernel(name, args) as tf.TensorInfo;
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const size = sizeOf(outShape);
    const out = backend.alloc(size);
    broadcastLoop(run, a, backend.f32(a), b, backend.f32(b), outShape, out, size);
    return backend.output(out, outShape);
  };
}

const equalRun: Run<Uint8Array> = (a, ai, ar, as, b, bi, br, bs, out, o, rows, n) => {
  for (let r = 0; r < rows; r++, ai += ar, bi += br, o += n) {
    for (let i = 0; i < n; i++) out[o + i] = +(a[ai + i * as] === b[bi + i * bs]);
  }
};

const lessRun: Run<Uint8Array> = (a, ai, ar, as, b, bi, br, bs, out, o, rows, n) => {
  for (let r = 0; r < rows; r++, ai += ar, bi += br, o += n) {
    for (let i = 0; i < n; i++) out[o + i] = +(a[ai + i * as] < b[bi + i * bs]);
  }
};

/**
 * A comparison kernel: 1 where `a op b` holds, else 0 (NaN compares false), as a bool tensor;
 * non-float32 inputs run the cpu kernel, whose same-shape loop takes two remainders an element
 * and whose broadcasts compute every element's coordinates.
 */
function comparison(run: Run<Uint8Array>, name: string) {
  return (args: BlasKernelArgs): tf.TensorInfo => {
    const { inputs, backend } = args;
    const { a, b } = inputs;
    if (!allFloat32(a, b)) return cpuKernel(name, args) as tf.TensorInfo;
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const size = sizeOf(outShape);
    const out = new Uint8Array(size);
    broadcastLoop(run, a, backend.f32(a), b, backend.f32(b), outShape, out, size);
    return backend.makeTensorInfo(outShape, "bool", out);
  };
}

/** Below this many elements a kernel stays in JavaScript: oneDNN's call overhead would dominate. */
const ONEDNN_MIN_SIZE = 1 << 16;

/**
 * A binary kernel that runs large float32 tensors on oneDNN when in use (every core, vector
 * instructions; the same exactly rounded values): `b` of `a`'s shape or a single value, or `a`
 * a single value for the commutative add and multiply. Anything else, and small tensors, run
 * the JavaScript loops.
 */
function binaryOnOneDnn(op: OneDnnBinaryOp, run: Run, name: string) {
  const inJs = binary(run, name);
  const commutative = op === "add" || op === "mul";
  return (args: BlasKernelArgs): tf.TensorInfo => {
    const { inputs, backend } = args;
    let { a, b } = inputs;
    const dnnl = backend.activeOneDnn;
    if (dnnl === undefined || !allFloat32(a, b)) return inJs(args);
    if (commutative && sizeOf(a.shape) === 1 && sizeOf(b.shape) > 1) [a, b] = [b, a];
    const size = sizeOf(a.shape);
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const bSize = sizeOf(b.shape);
    if (size < ONEDNN_MIN_SIZE || sizeOf(outShape) !== size || (bSize !== size && bSize !== 1)) {
      return inJs(args);
    }
    const out = backend.alloc(size);
    if (!dnnl.binary(op, backend.f32(a), backend.f32(b), out)) {
      backend.release(out); // oneDNN could not plan it (said once): JavaScript it is
      return inJs(args);
    }
    return backend.output(out, outShape);
  };
}

/** The `Add` kernel. */
export const add: (args: BlasKernelArgs) => tf.TensorInfo = binaryOnOneDnn("add", addRun, "Add");
/** The `Sub` kernel. */
export const sub: (args: BlasKernelArgs) => tf.TensorInfo = binaryOnOneDnn("sub", subRun, "Sub");
/** The `Multiply` kernel. */
export const mul: (args: BlasKernelArgs) => tf.TensorInfo = binaryOnOneDnn(
  "mul",
  mulRun,
  "Multiply",
);
/** The `RealDiv` kernel. */
export const div: (args: BlasKernelArgs) => tf.TensorInfo = binaryOnOneDnn(
  "div",
  divRun,
  "RealDiv",
);
/** The `SquaredDifference` kernel. */
export const squaredDifference: (args: BlasKernelArgs) => tf.TensorInfo = binary(
  squaredDifferenceRun,
  "SquaredDifference",
);
/** The `Maximum` kernel. */
export const maximum: (args: BlasKernelArgs) => tf.TensorInfo = binary(maximumRun, "Maximum");
/** The `Minimum` kernel. */
export const minimum: (args: BlasKernelArgs) => tf.TensorInfo = binary(minimumRun, "Minimum");
/** The `Mod` kernel. */
export const mod: (args: BlasKernelArgs) => tf.TensorInfo = binary(modRun, "Mod");
/** The `Equal` kernel (the augmentations' hue step: which channel is a pixel's largest). */
export const equal: (args: BlasKernelArgs) => tf.TensorInfo = comparison(equalRun, "Equal");
/** The `Less` kernel (the augmentations' solarization threshold). */
export const less: (args: BlasKernelArgs) => tf.TensorInfo = comparison(lessRun, "Less");

/** out[i] = f(x[i]) over the whole array; `alpha` is Step's value for x <= 0. */
type Map1 = (x: Float32Array, out: Float32Array, alpha: number) => void;

// Relu and Step avoid data-dependent branches: on activations with random signs a branch
// mispredicts half the time, which made them 5x slower than a multiply.

/** Relu on the bit patterns: a set sign bit zeroes the value; NaN (any sign) passes. */
const reluMap: Map1 = (x, out) => {
  const xi = new Int32Array(x.buffer, x.byteOffset, x.length);
  const oi = new Int32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < xi.length; i++) {
    const v = xi[i];
    oi[i] = (v & 0x7fffffff) > 0x7f800000 ? v : v & ~(v >> 31);
  }
};

/** The bit pattern of 1.0f. */
const ONE_BITS = 0x3f800000;

const stepMap: Map1 = (x, out, alpha) => {
  if (alpha === 0) {
    // On the bit patterns: a positive int32 is a positive float (or NaN, which passes).
    const xi = new Int32Array(x.buffer, x.byteOffset, x.length);
    const oi = new Int32Array(out.buffer, out.byteOffset, out.length);
    for (let i = 0; i < xi.length; i++) {
      const v = xi[i];
      oi[i] = (v & 0x7fffffff) > 0x7f800000 ? v : ONE_BITS & -(v > 0);
    }
    return;
  }
  const rise = 1 - alpha;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    out[i] = v !== v ? NaN : alpha + rise * +(v > 0);
  }
};

const squareMap: Map1 = (x, out) => {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    out[i] = v * v;
  }
};

const sqrtMap: Map1 = (x, out) => {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    out[i] = Math.sqrt(v);
  }
};

const rsqrtMap: Map1 = (x, out) => {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    out[i] = 1 / Math.sqrt(v);
  }
};

const negMap: Map1 = (x, out) => {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    out[i] = -v;
  }
};

const expMap: Map1 = (x, out) => {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    out[i] = Math.exp(v);
  }
};

function unary(map: Map1, name: string) {
  return (args: BlasKernelArgs): tf.TensorInfo => {
    const { inputs, backend, attrs } = args;
    const { x } = inputs;
    if (!allFloat32(x)) return cpuKernel(name, args) as tf.TensorInfo;
    const xv = backend.f32(x);
    const out = backend.alloc(xv.length);
    map(xv, out, (attrs?.alpha as number | undefined) ?? 0);
    return backend.output(out, x.shape.slice());
  };
}

const reluInJs = unary(reluMap, "Relu");

/**
 * The `Relu` kernel: large float32 tensors on oneDNN when in use, unless they hold a NaN.
 * oneDNN's relu maps NaN to 0, which would hide a diverging run from the loss, so a NaN input
 * (found by BLAS's sum of absolute values, which is NaN exactly then) goes to JavaScript,
 * which keeps NaN as tfjs does.
 */
export function relu(args: BlasKernelArgs): tf.TensorInfo {
  const { inputs, backend } = args;
  const { x } = inputs;
  const dnnl = backend.activeOneDnn;
  if (dnnl === undefined || x.dtype !== "float32" || sizeOf(x.shape) < ONEDNN_MIN_SIZE) {
    return reluInJs(args);
  }
  const xv = backend.f32(x);
  if (Number.isNaN(backend.blas.sasum(xv))) return reluInJs(args);
  const out = backend.alloc(xv.length);
  if (!dnnl.relu(xv, out)) {
    backend.release(out); // oneDNN could not plan it (said once): JavaScript it is
    return reluInJs(args);
  }
  return backend.output(out, x.shape.slice());
}
/** The `Step` kernel (the relu gradient's mask). */
export const step: (args: BlasKernelArgs) => tf.TensorInfo = unary(stepMap, "Step");
/** A unary kernel that runs large float32 tensors on oneDNN when in use (the same values). */
function unaryOnOneDnn(op: OneDnnUnaryOp, map: Map1, name: string) {
  const inJs = unary(map, name);
  return (args: BlasKernelArgs): tf.TensorInfo => {
    const { inputs, backend } = args;
    const { x } = inputs;
    const dnnl = backend.activeOneDnn;
    if (dnnl === undefined || x.dtype !== "float32" || sizeOf(x.shape) < ONEDNN_MIN_SIZE) {
      return inJs(args);
    }
    const out = backend.alloc(sizeOf(x.shape));
    if (!dnnl.unary(op, backend.f32(x), out)) {
      backend.release(out); // oneDNN could not plan it (said once): JavaScript it is
      return inJs(args);
    }
    return backend.output(out, x.shape.slice());
  };
}

/** The `Square` kernel. */
export const square: (args: BlasKernelArgs) => tf.TensorInfo = unaryOnOneDnn(
  "square",
  squareMap,
  "Square",
);
/** The `Sqrt` kernel. */
export const sqrt: (args: BlasKernelArgs) => tf.TensorInfo = unaryOnOneDnn("sqrt", sqrtMap, "Sqrt");
/** The `Rsqrt` kernel. */
export const rsqrt: (args: BlasKernelArgs) => tf.TensorInfo = unary(rsqrtMap, "Rsqrt");
/** The `Neg` kernel. */
export const neg: (args: BlasKernelArgs) => tf.TensorInfo = unary(negMap, "Neg");
/** The `Exp` kernel. */
export const exp: (args: BlasKernelArgs) => tf.TensorInfo = unary(expMap, "Exp");

/**
 * The relu gradient `dy * step(x)` in one pass, on the bit patterns so that it has no
 * data-dependent branch: dy where x > 0, `dy * 0` (0, or NaN for an infinite or NaN dy) where
 * x <= 0, NaN where x is NaN; the same values as the two kernels it replaces. Large tensors go
 * to oneDNN when it is in use, which gives dy (not NaN) where x is NaN.
 */
export function reluGrad(args: BlasKernelArgs): tf.TensorInfo {
  const { inputs, backend } = args;
  const { dy, x } = inputs;
  if (!allFloat32(dy, x) || !tf.util.arraysEqual(dy.shape, x.shape)) {
    throw new TypeError(
      `reluGrad needs float32 dy and x of one shape, got ${dy.dtype} [${dy.shape}] and ` +
        `${x.dtype} [${x.shape}]`,
    );
  }
  const dyv = backend.f32(dy);
  const xv = backend.f32(x);
  const out = backend.alloc(xv.length);
  const dnnl = backend.activeOneDnn;
  // oneDNN differs only where x is NaN (dy instead of NaN); the forward relu, which stays in
  // JavaScript, has already put that NaN into the output and so into the loss. When it could
  // not plan the size (said once), the loop below runs.
  if (dnnl !== undefined && xv.length >= ONEDNN_MIN_SIZE && dnnl.reluBackward(xv, dyv, out)) {
    return backend.output(out, x.shape.slice());
  }
  const xi = new Int32Array(xv.buffer, xv.byteOffset, xv.length);
  const gi = new Int32Array(dyv.buffer, dyv.byteOffset, dyv.length);
  const oi = new Int32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < xi.length; i++) {
    const v = xi[i];
    out[i] = dyv[i] * 0;
    const positive = -(v > 0); // all ones for x > 0 (and for positive NaNs, replaced below)
    const nan = -((v & 0x7fffffff) > 0x7f800000);
    oi[i] = (v & nan) | (((gi[i] & positive) | (oi[i] & ~positive)) & ~nan);
  }
  return backend.output(out, x.shape.slice());
}
