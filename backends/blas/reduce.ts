/**
 * Float32 `Sum`, `Mean`, `Min` and `Max` over any set of axes that, once adjacent dims are
 * merged, reads as [outer, reduced, inner] — per-channel statistics of NHWC tensors, global
 * average pooling, the per-pixel channel extremes of the augmentations' saturation and hue
 * steps, row sums and full reductions — with no transpose (the cpu kernels transpose any axes
 * that are not innermost), float64 accumulators for the sums, and outputs from the buffer pool.
 * Other patterns and dtypes, and empty inputs, run the cpu kernel.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { allFloat32, type BlasKernelArgs, cpuKernel, sizeOf } from "./_util.ts";

/** [outer, reduced, inner] sizes of a reduction, or undefined when reduced dims are split. */
export function reductionBlocks(
  shape: readonly number[],
  axes: readonly number[],
): [number, number, number] | undefined {
  const reduced = new Set(axes);
  let outer = 1;
  let mid = 1;
  let inner = 1;
  // 0: before the reduced block, 1: inside it, 2: after it.
  let phase = 0;
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d];
    if (size === 1) continue;
    if (reduced.has(d)) {
      if (phase === 2) return undefined;
      phase = 1;
      mid *= size;
    } else if (phase === 0) {
      outer *= size;
    } else {
      phase = 2;
      inner *= size;
    }
  }
  return [outer, mid, inner];
}

/** The output shape of reducing `axes` of `shape`, with the reduced dims kept as 1 or dropped. */
function reducedShape(shape: readonly number[], axes: readonly number[], keepDims: boolean) {
  const reduced = new Set(axes);
  return keepDims
    ? shape.map((d, i) => (reduced.has(i) ? 1 : d))
    : shape.filter((_, i) => !reduced.has(i));
}

function reduce(name: "Sum" | "Mean") {
  return (args: BlasKernelArgs): tf.TensorInfo => {
    const { inputs, backend, attrs = {} } = args;
    const { x } = inputs;
    const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape);
    const blocks = allFloat32(x) ? reductionBlocks(x.shape, axes) : undefined;
    if (blocks === undefined) return cpuKernel(name, args) as tf.TensorInfo;
    const [outer, mid, inner] = blocks;
    const scale = name === "Mean" ? 1 / mid : 1;
    const xv = backend.f32(x);
    const out = backend.alloc(outer * inner);
    if (inner === 1) {
      for (let o = 0; o < outer; o++) {
        let acc = 0;
        const base = o * mid;
        for (let r = 0; r < mid; r++) acc += xv[base + r];
        out[o] = acc * scale;
      }
    } else {
      const acc = new Float64Array(inner);
      for (let o = 0; o < outer; o++) {
        acc.fill(0);
        // Four rows per pass over the accumulators: a quarter of their loads and stores.
        let r = 0;
        for (; r + 4 <= mid; r += 4) {
          const b0 = (o * mid + r) * inner;
          const b1 = b0 + inner;
          const b2 = b1 + inner;
          const b3 = b2 + inner;
          for (let c = 0; c < inner; c++) {
            acc[c] += (xv[b0 + c] + xv[b1 + c]) + (xv[b2 + c] + xv[b3 + c]);
          }
        }
        for (; r < mid; r++) {
          const base = (o * mid + r) * inner;
          for (let c = 0; c < inner; c++) acc[c] += xv[base + c];
        }
        for (let c = 0; c < inner; c++) out[o * inner + c] = acc[c] * scale;
      }
    }
    return backend.output(out, reducedShape(x.shape, axes, Boolean(attrs.keepDims)));
  };
}

/** The `Sum` kernel. */
export const sum: (args: BlasKernelArgs) => tf.TensorInfo = reduce("Sum");
/** The `Mean` kernel. */
export const mean: (args: BlasKernelArgs) => tf.TensorInfo = reduce("Mean");

/**
 * Extremes of [outer, mid, inner] blocks into `out` ([outer, inner]), with the cpu kernels'
 * test in their order (the reduced elements in row-major order): the running value is replaced
 * by a NaN and by a strictly smaller (`Min`) or larger (`Max`) value, so any NaN gives NaN and
 * of equal values (0 and -0) the first stays. One function per op keeps each loop monomorphic.
 */
type Extreme = (
  xv: Float32Array,
  out: Float32Array,
  outer: number,
  mid: number,
  inner: number,
) => void;

const minBlocks: Extreme = (xv, out, outer, mid, inner) => {
  if (inner === 1) {
    for (let o = 0, base = 0; o < outer; o++, base += mid) {
      let m = xv[base];
      for (let i = base + 1; i < base + mid; i++) {
        const v = xv[i];
        if (v !== v || v < m) m = v;
      }
      out[o] = m;
    }
    return;
  }
  // Row by row over the accumulators in `out`: contiguous reads whatever the sizes.
  for (let o = 0, base = 0, ob = 0; o < outer; o++, base += mid * inner, ob += inner) {
    for (let c = 0; c < inner; c++) out[ob + c] = xv[base + c];
    for (let r = 1, i = base + inner; r < mid; r++) {
      for (let c = 0; c < inner; c++, i++) {
        const v = xv[i];
        if (v !== v || v < out[ob + c]) out[ob + c] = v;
      }
    }
  }
};

const maxBlocks: Extreme = (xv, out, outer, mid, inner) => {
  if (inner === 1) {
    for (let o = 0, base = 0; o < outer; o++, base += mid) {
      let m = xv[base];
      for (let i = base + 1; i < base + mid; i++) {
        const v = xv[i];
        if (v !== v || v > m) m = v;
      }
      out[o] = m;
    }
    return;
  }
  // Row by row over the accumulators in `out`: contiguous reads whatever the sizes.
  for (let o = 0, base = 0, ob = 0; o < outer; o++, base += mid * inner, ob += inner) {
    for (let c = 0; c < inner; c++) out[ob + c] = xv[base + c];
    for (let r = 1, i = base + inner; r < mid; r++) {
      for (let c = 0; c < inner; c++, i++) {
        const v = xv[i];
        if (v !== v || v > out[ob + c]) out[ob + c] = v;
      }
    }
  }
};

function extreme(name: "Min" | "Max", blocksOf: Extreme) {
  return (args: BlasKernelArgs): tf.TensorInfo => {
    const { inputs, backend, attrs = {} } = args;
    const { x } = inputs;
    // Max names its axes `reductionIndices`, Min `axis`.
    const axis = name === "Max" ? attrs.reductionIndices : attrs.axis;
    const axes = tf.util.parseAxisParam(axis as number | number[], x.shape);
    const blocks = allFloat32(x) && sizeOf(x.shape) > 0
      ? reductionBlocks(x.shape, axes)
      : undefined;
    if (blocks === undefined) return cpuKernel(name, args) as tf.TensorInfo;
    const [outer, mid, inner] = blocks;
    const out = backend.alloc(outer * inner);
    blocksOf(backend.f32(x), out, outer, mid, inner);
    return backend.output(out, reducedShape(x.shape, axes, Boolean(attrs.keepDims)));
  };
}

/** The `Min` kernel. */
export const min: (args: BlasKernelArgs) => tf.TensorInfo = extreme("Min", minBlocks);
/** The `Max` kernel. */
export const max: (args: BlasKernelArgs) => tf.TensorInfo = extreme("Max", maxBlocks);
