import * as tf from "@tensorflow/tfjs";
import { KernelScope, paddedConv } from "./_wasm_kernels.ts";

/**
 * The `Conv2DBackpropFilter` kernel for the wasm backend, which ships without one (so stock
 * wasm cannot train a convolution).
 *
 * The filter gradient `dW[kh, kw, ci, co] = sum over n, i, j of
 * x[n, i*sh + kh - top, j*sw + kw - left, ci] * dy[n, i, j, co]` is itself a convolution:
 * with the image's channels as the batch (`x` transposed to [Ci, H, W, N]) and `dy` as a
 * filter dilated by the stride (`dy` transposed to [OH, OW, N, Co]), the wasm backend's
 * XNNPACK `Conv2D` computes it, and a final transpose puts it in [KH, KW, Ci, Co] order.
 * Registered by {@linkcode registerWasmTrainingKernels}.
 *
 * @example Register it by hand (registerWasmTrainingKernels does this)
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { wasmConv2DBackpropFilterConfig } from "@selfsup/backends";
 *
 * await import("@tensorflow/tfjs-backend-wasm"); // registers wasm with its stock kernels
 * assert.equal(tf.getKernel("Conv2DBackpropFilter", "wasm"), undefined); // stock has none
 * tf.registerKernel(wasmConv2DBackpropFilterConfig);
 * assert.equal(tf.getKernel("Conv2DBackpropFilter", "wasm"), wasmConv2DBackpropFilterConfig);
 * ```
 */
export const wasmConv2DBackpropFilterConfig: tf.KernelConfig = {
  kernelName: "Conv2DBackpropFilter",
  backendName: "wasm",
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as {
      strides: [number, number] | number;
      pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
      dataFormat: "NHWC" | "NCHW";
      dimRoundingMode?: "floor" | "round" | "ceil";
      filterShape: [number, number, number, number];
    };
    if (dataFormat === "NCHW") {
      throw new Error("wasm Conv2DBackpropFilter supports only dataFormat 'NHWC'");
    }
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filterShape,
      strides,
      1,
      pad,
      dimRoundingMode,
    );
    const scope = new KernelScope(backend as tf.KernelBackend);
    try {
      const xT = scope.run("Transpose", { x }, { perm: [3, 1, 2, 0] }); // [Ci, H, W, N]
      const dyT = scope.run("Transpose", { x: dy }, { perm: [1, 2, 0, 3] }); // [OH, OW, N, Co]
      const { filterHeight: kh, filterWidth: kw, inHeight: h, inWidth: w } = info;
      const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
      const top = info.padInfo.top;
      const left = info.padInfo.left;
      // Padding that makes the output exactly [Ci, KH, KW, Co]; negative means crop.
      const grad = paddedConv(scope, xT, dyT, {
        top,
        bottom: kh + (oh - 1) * sh - h - top,
        left,
        right: kw + (ow - 1) * sw - w - left,
      }, [sh, sw]);
      return scope.keep(scope.run("Transpose", { x: grad }, { perm: [1, 2, 0, 3] }));
    } finally {
      scope.dispose();
    }
  },
};
