/**
 * The float32 `PadV2` kernel (constant padding, the gradient of `Slice`): fills the output
 * with the constant and copies the input in as runs of its last dimension with native
 * `TypedArray.set`; the cpu kernel computes every element's coordinates. Other dtypes run the
 * cpu kernel.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { type BlasKernelArgs, cpuKernel, sizeOf } from "./_util.ts";

/** The `PadV2` kernel. */
export function padV2(args: BlasKernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const { x } = inputs;
  const paddings = attrs.paddings as [number, number][];
  const rank = x.shape.length;
  if (x.dtype !== "float32" || rank === 0) return cpuKernel("PadV2", args) as tf.TensorInfo;
  const outShape = x.shape.map((d, i) => paddings[i]![0] + d + paddings[i]![1]);
  const out = backend.alloc(sizeOf(outShape));
  out.fill((attrs.constantValue as number | undefined) ?? 0);
  const xv = backend.f32(x);
  if (xv.length === 0) return backend.output(out, outShape);
  const outStrides = [...outShape.slice(1).map((_, i) => sizeOf(outShape.slice(i + 1))), 1];
  const run = x.shape[rank - 1]!;
  let base = 0;
  for (let d = 0; d < rank; d++) base += paddings[d]![0] * outStrides[d]!;
  // Odometer over the input's outer dims; each step copies one row of the last dim.
  const idx = new Array<number>(rank - 1).fill(0);
  let to = base;
  for (let from = 0; from < xv.length; from += run) {
    out.set(xv.subarray(from, from + run), to);
    for (let d = rank - 2; d >= 0; d--) {
      to += outStrides[d]!;
      if (++idx[d]! < x.shape[d]!) break;
      to -= outStrides[d]! * x.shape[d]!;
      idx[d] = 0;
    }
  }
  return backend.output(out, outShape);
}
