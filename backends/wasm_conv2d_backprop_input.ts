import * as tf from "@tensorflow/tfjs";
import { KernelScope, paddedConv } from "./_wasm_kernels.ts";

/**
 * A faster `Conv2DBackpropInput` kernel for the wasm backend, whose own one is a scalar loop.
 *
 * The input gradient is the convolution of `dy`, dilated by the stride (zeros between its
 * rows and columns), with the filter flipped in space and with its channel axes swapped, on
 * the wasm backend's XNNPACK `Conv2D`. Registered (in place of the stock kernel) by
 * {@linkcode registerWasmTrainingKernels}.
 *
 * @example Register it by hand (registerWasmTrainingKernels does this)
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { wasmConv2DBackpropInputConfig } from "@selfsup/backends";
 *
 * await import("@tensorflow/tfjs-backend-wasm"); // registers wasm with its stock kernels
 * const stock = tf.getKernel("Conv2DBackpropInput", "wasm");
 * assert.ok(stock !== undefined && stock.kernelFunc !== wasmConv2DBackpropInputConfig.kernelFunc);
 * tf.unregisterKernel("Conv2DBackpropInput", "wasm");
 * tf.registerKernel(wasmConv2DBackpropInputConfig);
 * assert.equal(tf.getKernel("Conv2DBackpropInput", "wasm"), wasmConv2DBackpropInputConfig);
 * ```
 */
export const wasmConv2DBackpropInputConfig: tf.KernelConfig = {
  kernelName: "Conv2DBackpropInput",
  backendName: "wasm",
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as {
      strides: [number, number] | number;
      pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
      dataFormat: "NHWC" | "NCHW";
      dimRoundingMode?: "floor" | "round" | "ceil";
      inputShape: [number, number, number, number];
    };
    if (dataFormat === "NCHW") {
      throw new Error("wasm Conv2DBackpropInput supports only dataFormat 'NHWC'");
    }
    const info = tf.backend_util.computeConv2DInfo(
      inputShape,
      filter.shape as [number, number, number, number],
      strides,
      1,
      pad,
      dimRoundingMode,
    );
    const { batchSize: n, outHeight: oh, outWidth: ow, outChannels: co } = info;
    const { filterHeight: kh, filterWidth: kw, inHeight: h, inWidth: w } = info;
    const { strideHeight: sh, strideWidth: sw } = info;
    const scope = new KernelScope(backend as tf.KernelBackend);
    try {
      let dilated = dy;
      if (sh > 1 || sw > 1) {
        // [N, OH, 1, OW, 1, Co] padded to [N, OH, SH, OW, SW, Co] = [N, OH*SH, OW*SW, Co].
        const split = scope.run("Reshape", { x: dy }, { shape: [n, oh, 1, ow, 1, co] });
        const padded = scope.run("PadV2", { x: split }, {
          paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]],
          constantValue: 0,
        });
        dilated = scope.run("Reshape", { x: padded }, { shape: [n, oh * sh, ow * sw, co] });
      }
      const flipped = scope.run("Reverse", { x: filter }, { dims: [0, 1] });
      const swapped = scope.run("Transpose", { x: flipped }, { perm: [0, 1, 3, 2] }); // [KH,KW,Co,Ci]
      const top = kh - 1 - info.padInfo.top;
      const left = kw - 1 - info.padInfo.left;
      // The dilated dy has (stride - 1) trailing zero rows/columns beyond (OH-1)*SH+1.
      const grad = paddedConv(scope, dilated, swapped, {
        top,
        bottom: h + kh - 1 - oh * sh - top,
        left,
        right: w + kw - 1 - ow * sw - left,
      }, [1, 1]);
      return scope.keep(grad);
    } finally {
      scope.dispose();
    }
  },
};
