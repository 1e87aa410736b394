/**
 * The float32 `Slice` kernel: copies the slice as runs of contiguous elements with native
 * `TypedArray.set` (the cpu kernel indexes every element of a strided slice through a
 * TensorBuffer, which made NT-Xent's 255x256 slice cost ~0.1 s). Other dtypes run the cpu
 * kernel.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type BlasKernelArgs, cpuKernel, sizeOf } from "./_util.ts";

/** The `Slice` kernel. */
export function slice(args: BlasKernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const { x } = inputs;
  if (x.dtype !== "float32") return cpuKernel("Slice", args) as tf.TensorInfo;
  const [begin, size] = tf.slice_util.parseSliceParams(
    x as unknown as tf.Tensor,
    attrs.begin as number | number[],
    attrs.size as number | number[] | undefined,
  );
  tf.slice_util.assertParamsValid(x as unknown as tf.Tensor, begin, size);
  const out = backend.alloc(sizeOf(size));
  const rank = x.shape.length;
  const xv = backend.f32(x);
  if (out.length === 0) return backend.output(out, size);
  const strides = tf.util.computeStrides(x.shape);
  strides.push(1);
  // Dims after k are taken whole, so each run of the slice spans dims k.. contiguously.
  let k = rank - 1;
  while (k > 0 && size[k] === x.shape[k]) k--;
  const run = size[k] * strides[k];
  let base = 0;
  for (let d = 0; d < rank; d++) base += begin[d] * strides[d];
  const idx = new Array<number>(k).fill(0);
  let from = base;
  for (let o = 0; o < out.length; o += run) {
    out.set(xv.subarray(from, from + run), o);
    // Odometer over dims 0..k-1.
    for (let d = k - 1; d >= 0; d--) {
      from += strides[d];
      if (++idx[d] < size[d]) break;
      from -= strides[d] * size[d];
      idx[d] = 0;
    }
  }
  return backend.output(out, size);
}
