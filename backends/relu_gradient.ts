/**
 * The gradient of `Relu` as one kernel on backends that provide one (blas), instead of
 * tfjs's `Step` then `Multiply`: two full-size passes and a temporary per ReLU layer and step.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * Name of the fused relu-gradient kernel a backend may register: inputs `{ dy, x }` (float32,
 * one shape), output `dy * step(x)`.
 */
export const RELU_GRAD_KERNEL = "SelfsupReluGrad";

/**
 * The `Relu` gradient: the {@linkcode RELU_GRAD_KERNEL} kernel where the active backend has it
 * and both tensors are float32, else tfjs's own `dy * cast(step(x), "float32")`.
 */
export const reluGradConfig: tf.GradConfig = {
  kernelName: "Relu",
  inputsToSave: ["x"],
  gradFunc: (dy, saved) => {
    const dyT = Array.isArray(dy) ? dy[0]! : dy;
    const [x] = saved as [tf.Tensor];
    const fused = x.dtype === "float32" && dyT.dtype === "float32" &&
      tf.getKernel(RELU_GRAD_KERNEL, tf.getBackend()) !== undefined;
    return {
      x: () =>
        fused
          ? tf.engine().runKernel(RELU_GRAD_KERNEL, { dy: dyT, x }, {}) as tf.Tensor
          : tf.mul(dyT, tf.cast(tf.step(x), "float32")),
    };
  },
};

let installed = false;

/**
 * Installs {@linkcode reluGradConfig} as the gradient of `Relu`, replacing tfjs's for the
 * whole process: tfjs keeps one gradient per kernel, shared by every backend. Backends without
 * the fused kernel (all but blas) compute tfjs's own formula through it, so only blas changes:
 * one pass instead of two, and with oneDNN dy instead of NaN where x is NaN. Opt-in: nothing
 * in this package calls it except `startBackend(..., { fastGradients: true })`. Idempotent.
 *
 * @returns `true` when this call installed it, `false` when it already was.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { installReluGradient, reluGradConfig } from "@selfsup/backends";
 *
 * tf.enableProdMode();
 * installReluGradient();
 * assert.equal(tf.getGradient("Relu"), reluGradConfig);
 * const x = tf.tensor1d([-1, 2]);
 * const dx = tf.grad((x: tf.Tensor) => tf.relu(x).sum())(x);
 * assert.deepEqual(await dx.array(), [0, 1]);
 * tf.dispose([x, dx]);
 * ```
 */
export function installReluGradient(): boolean {
  if (installed) return false;
  tf.registerGradient(reluGradConfig);
  installed = true;
  return true;
}
