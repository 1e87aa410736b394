// Shared plumbing of the composite wasm training kernels: they call the wasm backend's own
// kernels on TensorInfos (as the backends do internally), so no engine-level tensor is created
// and the engine's reference counts are never touched.
import * as tf from "@tensorflow/tfjs";

/** Runs intermediate wasm kernels and frees every intermediate when done. */
export class KernelScope {
  readonly #backend: tf.KernelBackend;
  readonly #made: tf.TensorInfo[] = [];

  constructor(backend: tf.KernelBackend) {
    this.#backend = backend;
  }

  /** Runs the wasm kernel `name`; its output is freed by {@linkcode KernelScope.dispose}. */
  run(name: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}): tf.TensorInfo {
    const kernel = tf.getKernel(name, "wasm");
    if (kernel === undefined) throw new Error(`the wasm backend has no '${name}' kernel`);
    const out = kernel.kernelFunc({ inputs, attrs, backend: this.#backend }) as tf.TensorInfo;
    this.#made.push(out);
    return out;
  }

  /** Keeps `info` alive past {@linkcode KernelScope.dispose} (it becomes the kernel's output). */
  keep(info: tf.TensorInfo): tf.TensorInfo {
    const index = this.#made.indexOf(info);
    if (index >= 0) this.#made.splice(index, 1);
    return info;
  }

  /** Frees every intermediate not kept. */
  dispose(): void {
    for (const info of this.#made) this.#backend.disposeData(info.dataId);
    this.#made.length = 0;
  }
}

/**
 * A stride-1 "valid" convolution window over `x` [N, H, W, C] padded by the given (possibly
 * negative) amounts: negative padding crops the input first, since the wasm Conv2D takes only
 * non-negative explicit padding.
 */
export function paddedConv(
  scope: KernelScope,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  pads: { top: number; bottom: number; left: number; right: number },
  dilations: [number, number],
): tf.TensorInfo {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const cropTop = Math.max(0, -pads.top);
  const cropBottom = Math.max(0, -pads.bottom);
  const cropLeft = Math.max(0, -pads.left);
  const cropRight = Math.max(0, -pads.right);
  let input = x;
  if (cropTop + cropBottom + cropLeft + cropRight > 0) {
    input = scope.run("Slice", { x }, {
      begin: [0, cropTop, cropLeft, 0],
      size: [n, h - cropTop - cropBottom, w - cropLeft - cropRight, c],
    });
  }
  const pad = [
    [0, 0],
    [Math.max(0, pads.top), Math.max(0, pads.bottom)],
    [Math.max(0, pads.left), Math.max(0, pads.right)],
    [0, 0],
  ];
  return scope.run("Conv2D", { x: input, filter }, {
    strides: [1, 1],
    pad,
    dilations,
    dataFormat: "NHWC",
  });
}
