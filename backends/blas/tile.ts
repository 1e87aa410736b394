/**
 * The float32 `Tile` kernel (what `tf.broadcastTo` and several gradients run): each block is
 * written once and then doubled in place with `copyWithin`, so a broadcast of a small tensor to
 * a large one costs a few native memory copies instead of per-element index arithmetic.
 * Other dtypes run the cpu kernel.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { type BlasKernelArgs, cpuKernel, sizeOf } from "./_util.ts";

/** The `Tile` kernel. */
export function tile(args: BlasKernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const { x } = inputs;
  if (x.dtype !== "float32") return cpuKernel("Tile", args) as tf.TensorInfo;
  const reps = attrs.reps as number[];
  const xs = x.shape;
  const rank = xs.length;
  const outShape = xs.map((d, i) => d * reps[i]);
  const xv = backend.f32(x);
  const out = backend.alloc(sizeOf(outShape));
  if (out.length === 0) return backend.output(out, outShape);
  if (rank === 0) {
    out[0] = xv[0];
    return backend.output(out, outShape);
  }
  const xStrides = new Array<number>(rank);
  const outStrides = new Array<number>(rank);
  xStrides[rank - 1] = 1;
  outStrides[rank - 1] = 1;
  for (let d = rank - 2; d >= 0; d--) {
    xStrides[d] = xStrides[d + 1] * xs[d + 1];
    outStrides[d] = outStrides[d + 1] * outShape[d + 1];
  }
  // Fills the output block of dims d.. at oOff from the input block at xOff.
  const fill = (d: number, xOff: number, oOff: number) => {
    if (d === rank - 1) {
      out.set(xv.subarray(xOff, xOff + xs[d]), oOff);
    } else {
      for (let i = 0; i < xs[d]; i++) fill(d + 1, xOff + i * xStrides[d], oOff + i * outStrides[d]);
    }
    const block = xs[d] * outStrides[d];
    const total = block * reps[d];
    for (let done = block; done < total;) {
      const n = Math.min(done, total - done);
      out.copyWithin(oOff + done, oOff, oOff + n);
      done += n;
    }
  };
  fill(0, 0, 0);
  return backend.output(out, outShape);
}
