/**
 * The float32 `Select` kernel (`tf.where`, which broadcasts its three operands to one shape
 * first): one loop into a pooled output. The cpu kernel runs a nested loop whose inner count is
 * 1 here and writes a freshly zeroed array; the augmentations' hue rotation picks each pixel's
 * hue sector this way.
 *
 * Results are the cpu kernel's: `t` where the condition's value is exactly 1 (true), else `e`.
 * Operands of different shapes (the cpu kernel then repeats one condition value over a row but
 * reads `t` and `e` at the condition's index), `t` or `e` not float32, and string or complex
 * conditions (which the cpu kernel rejects or misreads) run the cpu kernel.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { allFloat32, type BlasKernelArgs, cpuKernel } from "./_util.ts";

/** The `Select` kernel: inputs `condition`, `t` (taken where true) and `e` (else). */
export function select(args: BlasKernelArgs): tf.TensorInfo {
  const { inputs, backend } = args;
  const { condition, t, e } = inputs;
  if (
    !allFloat32(t, e) || condition.dtype === "string" || condition.dtype === "complex64" ||
    !tf.util.arraysEqual(condition.shape, t.shape) ||
    !tf.util.arraysEqual(t.shape, e.shape)
  ) {
    return cpuKernel("Select", args) as tf.TensorInfo;
  }
  const c = backend.data.get(condition.dataId).values as tf.TypedArray;
  const tv = backend.f32(t);
  const ev = backend.f32(e);
  const out = backend.alloc(tv.length);
  for (let i = 0; i < out.length; i++) out[i] = c[i] === 1 ? tv[i] : ev[i];
  return backend.output(out, t.shape.slice());
}
