/**
 * The float32 `MaxPool` and `MaxPoolGrad` kernels (NHWC): one pass over the output positions
 * with every channel of a window position compared in an inner loop over contiguous memory.
 * The gradient finds each window's argmax and adds dy there, where the cpu kernel visits every
 * input pixel, recomputes the argmax of every window over it through `TensorBuffer.get` and
 * masks (417 of 479 kernel-ms of a `smallConvNet([32, 64])` step at batch 32).
 *
 * Results are the cpu kernels' bit for bit: the max is the first value in window order (rows,
 * then columns) greater than all before it, starting from -Infinity, so NaN never wins, ties go
 * to the first, and a window of only NaN and -Infinity gives -Infinity and no gradient. Where
 * windows overlap, an input pixel's gradient sums in float64 in the cpu kernel's order (output
 * rows, then columns) and rounds to float32 once, as the cpu kernel does. Other dtypes, and a
 * 1x1 pool that keeps the shape (an identity), run the cpu kernel.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type BlasKernelArgs, cpuKernel } from "./_util.ts";

type Pool2DInfo = ReturnType<typeof tf.backend_util.computePool2DInfo>;

function poolInfo(x: tf.TensorInfo, attrs: tf.NamedAttrMap): Pool2DInfo {
  return tf.backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterSize as [number, number] | number,
    attrs.strides as [number, number] | number,
    1,
    attrs.pad as "valid" | "same" | number,
    attrs.dimRoundingMode as "floor" | "round" | "ceil" | undefined,
  );
}

/** The `MaxPool` kernel. */
export function maxPool(args: BlasKernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const { x } = inputs;
  if (x.dtype !== "float32") return cpuKernel("MaxPool", args) as tf.TensorInfo;
  const info = poolInfo(x, attrs);
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth } = info;
  if (
    info.filterHeight === 1 && info.filterWidth === 1 && outHeight === inHeight &&
    outWidth === inWidth
  ) {
    return cpuKernel("MaxPool", args) as tf.TensorInfo;
  }
  const xv = backend.f32(x);
  const out = backend.alloc(batchSize * outHeight * outWidth * c);
  const { strideHeight, strideWidth, effectiveFilterHeight, effectiveFilterWidth } = info;
  const { top, left } = info.padInfo;
  const rowStride = inWidth * c;
  let o = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let yR = 0; yR < outHeight; yR++) {
      const r0 = yR * strideHeight - top;
      const rMin = Math.max(0, r0);
      const rMax = Math.min(inHeight, r0 + effectiveFilterHeight);
      for (let yC = 0; yC < outWidth; yC++) {
        const c0 = yC * strideWidth - left;
        const cMin = Math.max(0, c0);
        const cMax = Math.min(inWidth, c0 + effectiveFilterWidth);
        // Per channel, a scalar max over the window (held in a register, not in memory).
        const first = ((b * inHeight + rMin) * inWidth + cMin) * c;
        for (let d = 0; d < c; d++) {
          let m = -Infinity;
          for (let row = first + d, xR = rMin; xR < rMax; xR++, row += rowStride) {
            for (let i = row, xC = cMin; xC < cMax; xC++, i += c) {
              const v = xv[i];
              if (v > m) m = v;
            }
          }
          out[o + d] = m;
        }
        o += c;
      }
    }
  }
  return backend.output(out, info.outShape);
}

/** The `MaxPoolGrad` kernel (inputs `dy`, `input`, `output`; the argmax comes from `input`). */
export function maxPoolGrad(args: BlasKernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const { dy, input: x } = inputs;
  if (x.dtype !== "float32" || dy.dtype !== "float32") {
    return cpuKernel("MaxPoolGrad", args) as tf.TensorInfo;
  }
  const info = poolInfo(x, attrs);
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth } = info;
  const { strideHeight, strideWidth, effectiveFilterHeight, effectiveFilterWidth } = info;
  const { top, left } = info.padInfo;
  const xv = backend.f32(x);
  const dyv = backend.f32(dy);
  const dx = backend.alloc(xv.length);
  // Without overlap each input pixel gets at most one term, and float32 0 + t is exactly the
  // cpu kernel's float64 0 + t rounded; with overlap only a float64 sum rounds the same way.
  const overlap = strideHeight < effectiveFilterHeight || strideWidth < effectiveFilterWidth;
  const acc: Float32Array | Float64Array = overlap ? new Float64Array(xv.length) : dx.fill(0);
  // dy is read through its own strides, not as the pool's output shape: tfjs's MaxPool
  // gradient drops `dimRoundingMode`, so with a rounded pool the two differ, and the cpu
  // kernel reads dy at these offsets (out of range gives undefined, hence NaN).
  const [, dyH, dyW, dyC] = dy.shape as [number, number, number, number];
  const rowStride = inWidth * c;
  for (let b = 0; b < batchSize; b++) {
    for (let yR = 0; yR < outHeight; yR++) {
      const r0 = yR * strideHeight - top;
      const rMin = Math.max(0, r0);
      const rMax = Math.min(inHeight, r0 + effectiveFilterHeight);
      for (let yC = 0; yC < outWidth; yC++) {
        const c0 = yC * strideWidth - left;
        const cMin = Math.max(0, c0);
        const cMax = Math.min(inWidth, c0 + effectiveFilterWidth);
        const first = ((b * inHeight + rMin) * inWidth + cMin) * c;
        const o = ((b * dyH + yR) * dyW + yC) * dyC;
        for (let d = 0; d < c; d++) {
          let m = -Infinity;
          let at = -1;
          for (let row = first + d, xR = rMin; xR < rMax; xR++, row += rowStride) {
            for (let i = row, xC = cMin; xC < cMax; xC++, i += c) {
              const v = xv[i];
              if (v > m) {
                m = v;
                at = i;
              }
            }
          }
          if (at >= 0) acc[at] += dyv[o + d];
        }
      }
    }
  }
  if (overlap) dx.set(acc);
  return backend.output(dx, x.shape.slice());
}
