/**
 * The float32 `Concat` kernel along any axis: seen as [outer, rest] matrices (outer the product
 * of the dims before the axis), each input is a block of columns of the output, copied run by
 * run into a pooled output. Short runs (a channel concatenation of [N, H, W, 1] tensors copies
 * one element a run) go by hand, long ones by native `TypedArray.set`, a whole input at once
 * when the axis is the first non-trivial one. The cpu kernel reshapes every input, writes a
 * freshly zeroed array and copies the channel case element by element through untyped values;
 * the augmentations spread luma over three channels and put sub-batches back together this way.
 *
 * The values are the inputs' own, so the result equals the cpu kernel's. Like it, empty inputs
 * are skipped and a single non-empty one is returned as is (the cpu kernel's identity, which
 * shares its data); an empty result, and any input that is not float32, run the cpu kernel.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type BlasKernelArgs, cpuKernel, sizeOf } from "./_util.ts";

/** Below this many elements a run is copied by hand: a subarray view would cost more. */
const MIN_SET_RUN = 24;

/**
 * Copies `rows` runs of `run` elements from `x` (consecutive) into `out`, the r-th at
 * `offset + r * stride`.
 */
function copyRuns(
  x: Float32Array,
  out: Float32Array,
  rows: number,
  run: number,
  stride: number,
  offset: number,
): void {
  if (rows === 1) {
    out.set(x, offset);
  } else if (run === 1) {
    for (let r = 0, o = offset; r < rows; r++, o += stride) out[o] = x[r];
  } else if (run < MIN_SET_RUN) {
    for (let r = 0, i = 0, o = offset; r < rows; r++, o += stride) {
      for (let k = 0; k < run; k++, i++) out[o + k] = x[i];
    }
  } else {
    for (let r = 0, i = 0, o = offset; r < rows; r++, i += run, o += stride) {
      out.set(x.subarray(i, i + run), o);
    }
  }
}

/** The `Concat` kernel: inputs the tensors to join (an array); attribute `axis`. */
export function concat(args: BlasKernelArgs): tf.TensorInfo {
  const { backend, attrs = {} } = args;
  const xs = Object.values(args.inputs);
  if (xs.length === 0 || xs.some((t) => t.dtype !== "float32")) {
    return cpuKernel("Concat", args) as tf.TensorInfo;
  }
  const shapes = xs.map((t) => t.shape);
  const axis = tf.util.parseAxisParam(attrs.axis as number, shapes[0])[0];
  tf.backend_util.assertParamsConsistent(shapes, axis);
  const outShape = tf.backend_util.computeOutShape(shapes, axis);
  const size = sizeOf(outShape);
  const parts = xs.filter((t) => sizeOf(t.shape) > 0);
  if (size === 0 || parts.length === 1) return cpuKernel("Concat", args) as tf.TensorInfo;
  const rows = sizeOf(outShape.slice(0, axis));
  const stride = size / rows;
  const out = backend.alloc(size);
  let offset = 0;
  for (const t of parts) {
    const x = backend.f32(t);
    const run = x.length / rows;
    copyRuns(x, out, rows, run, stride, offset);
    offset += run;
  }
  return backend.output(out, outShape);
}
