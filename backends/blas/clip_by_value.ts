/**
 * The float32 `ClipByValue` kernel: one tight loop into a pooled output. The cpu kernel calls a
 * closure per element that reads both bounds from the attribute object, then writes a freshly
 * zeroed array; the augmentations clip every colour step of a whole batch to [0, 1], which made
 * it the largest kernel of augmenting a batch on the blas backend.
 *
 * Results are the cpu kernel's bit for bit: its choice `x > max ? max : x < min ? min : x`
 * with the same comparisons (float32 x against the bounds as given), so NaN passes through, a
 * zero keeps its sign unless it is clipped, and a bound that float32 cannot hold is rounded to
 * float32 as the cpu kernel's store rounds it. Other dtypes run the cpu kernel.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { type BlasKernelArgs, cpuKernel } from "./_util.ts";

/** Bit patterns of float32 values. */
const bits = new Int32Array(1);
const bitsAsFloat = new Float32Array(bits.buffer);

/** The float32 bit pattern `value` is stored as. */
function float32Bits(value: number): number {
  bitsAsFloat[0] = value;
  return bits[0];
}

/**
 * out[i] = x[i] clipped to [lo, hi], with the cpu kernel's comparisons but no data-dependent
 * branch: on images a quarter of the values may be clipped, at random, and the branches of
 * `x > max ? max : ...` then mispredict so often that the loop ran 3-4x slower. The two tests
 * become all-ones or all-zeros masks that pick the bit pattern of hi, of lo or of x; x's own
 * bits pass through, so a NaN and a -0 come out as they went in.
 */
function clip(x: Float32Array, out: Float32Array, lo: number, hi: number): void {
  const xi = new Int32Array(x.buffer, x.byteOffset, x.length);
  const oi = new Int32Array(out.buffer, out.byteOffset, out.length);
  const loBits = float32Bits(lo);
  const hiBits = float32Bits(hi);
  for (let i = 0; i < xi.length; i++) {
    const v = x[i];
    const above = -(v > hi);
    const below = -(v < lo) & ~above;
    oi[i] = (hiBits & above) | (loBits & below) | (xi[i] & ~(above | below));
  }
}

/** The `ClipByValue` kernel: input `x`; attributes `clipValueMin` and `clipValueMax`. */
export function clipByValue(args: BlasKernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const { x } = inputs;
  if (x.dtype !== "float32") return cpuKernel("ClipByValue", args) as tf.TensorInfo;
  const xv = backend.f32(x);
  const out = backend.alloc(xv.length);
  clip(xv, out, attrs.clipValueMin as number, attrs.clipValueMax as number);
  return backend.output(out, x.shape.slice());
}
