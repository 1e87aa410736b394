/**
 * Float32 `Sum` and `Mean` over any set of axes that, once adjacent dims are merged, reads as
 * [outer, reduced, inner] — per-channel statistics of NHWC tensors, global average pooling,
 * row sums and full reductions — with no transpose and float64 accumulators. Other patterns
 * and dtypes run the cpu kernel.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { allFloat32, type BlasKernelArgs, cpuKernel } from "./_util.ts";

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
    const reduced = new Set(axes);
    const outShape = attrs.keepDims
      ? x.shape.map((d, i) => (reduced.has(i) ? 1 : d))
      : x.shape.filter((_, i) => !reduced.has(i));
    return backend.output(out, outShape);
  };
}

/** The `Sum` kernel. */
export const sum: (args: BlasKernelArgs) => tf.TensorInfo = reduce("Sum");
/** The `Mean` kernel. */
export const mean: (args: BlasKernelArgs) => tf.TensorInfo = reduce("Mean");
