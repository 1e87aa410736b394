/**
 * The float32 `GatherV2` kernel without batch dimensions: each gathered slice (everything
 * after the gather axis) is one contiguous run, copied with native `TypedArray.set`; the cpu
 * kernel computes every element's coordinates (about 75 ns an element, which made a batched
 * per-image gather the largest cost of augmenting a batch). Other dtypes and batched gathers
 * run the cpu kernel.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type BlasKernelArgs, cpuKernel, sizeOf } from "./_util.ts";

/** The `GatherV2` kernel. */
export function gatherV2(args: BlasKernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const { x, indices } = inputs;
  const batchDims = (attrs.batchDims as number | undefined) ?? 0;
  if (x.dtype !== "float32" || indices.dtype !== "int32" || batchDims !== 0) {
    return cpuKernel("GatherV2", args) as tf.TensorInfo;
  }
  const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0]!;
  const axisSize = x.shape[axis]!;
  const index = backend.data.get(indices.dataId).values as Int32Array;
  for (const i of index) {
    if (!(i >= 0 && i < axisSize)) {
      throw new RangeError(`GatherV2: the index value ${i} is not in [0, ${axisSize - 1}]`);
    }
  }
  const outer = sizeOf(x.shape.slice(0, axis));
  const inner = sizeOf(x.shape.slice(axis + 1));
  const outShape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
  const xv = backend.f32(x);
  const out = backend.alloc(outer * index.length * inner);
  let o = 0;
  for (let b = 0; b < outer; b++) {
    for (const i of index) {
      const from = (b * axisSize + i) * inner;
      // Short runs by hand: a subarray view costs more than copying a few elements.
      if (inner < 24) {
        for (let k = 0; k < inner; k++) out[o + k] = xv[from + k]!;
      } else {
        out.set(xv.subarray(from, from + inner), o);
      }
      o += inner;
    }
  }
  return backend.output(out, outShape);
}
