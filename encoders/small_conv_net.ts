import * as tf from "@tensorflow/tfjs";
import {
  applyBatchNorm,
  applyRelu,
  applyTo,
  checkModelName,
  checkOptions,
  checkSeed,
  rangeError,
  typeError,
} from "@selfsup/internal";
import { conv } from "./_conv.ts";
import { checkInputShape } from "./_validate.ts";

/** Options of {@linkcode smallConvNet}. */
export interface SmallConvNetOptions {
  /** `[height, width, channels]` of one NHWC image, any positive sizes. */
  inputShape: [number, number, number];
  /** Output channels of each 3x3 convolution stage; default `[32, 64, 128]`. */
  filters?: number[];
  /** Integer seed of every initializer. */
  seed: number;
  /** Model name; default `"small_convnet"`. */
  name?: string;
}

/**
 * Builds a small convolutional encoder for quick experiments and as a SimCLRv2 distillation
 * student: a few stages of 3x3 convolution -> batch norm -> ReLU, with a 2x2 max-pool
 * ("same" padding, so any input size works) between stages, then global average pooling.
 *
 * Convolutions and batch norms are set up as in {@linkcode resNet} (bias-free, He-normal
 * fan-out initialisation, momentum 0.9, epsilon 1e-5). Layer names: `input`,
 * `stage<s>_conv`, `stage<s>_bn`, `stage<s>_relu`, `stage<s>_pool`, `avg_pool`.
 *
 * @param options Input shape, channel counts per stage, seed and name.
 * @returns An uncompiled `tf.LayersModel` from `[N, H, W, C]` to `[N, filters.at(-1)]`; the
 *   caller disposes it.
 * @throws {TypeError} If `options` is not an object, `inputShape` or `filters` is not an array
 *   of numbers, `seed` not a number or `name` not a non-empty string.
 * @throws {RangeError} If a size in `inputShape` or `filters` is not an integer >= 1,
 *   `filters` is empty, or `seed` is not a safe integer, naming the value.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { smallConvNet } from "@selfsup/encoders";
 * import assert from "node:assert/strict";
 *
 * const encoder = smallConvNet({ inputShape: [28, 28, 1], filters: [8, 16], seed: 3 });
 * const h = encoder.predict(tf.ones([4, 28, 28, 1])) as tf.Tensor;
 * assert.deepEqual(h.shape, [4, 16]);
 * h.dispose();
 * encoder.dispose();
 * ```
 */
export function smallConvNet(options: SmallConvNetOptions): tf.LayersModel {
  const fn = "smallConvNet";
  checkOptions(fn, options);
  const { seed, filters = [32, 64, 128], name = "small_convnet" } = options;
  const inputShape = checkInputShape(fn, options.inputShape);
  checkSeed(fn, seed);
  checkModelName(fn, name);
  const what = "a non-empty array of integers >= 1";
  if (!Array.isArray(filters) || !filters.every((f) => typeof f === "number")) {
    throw typeError(fn, "filters", what, filters);
  }
  if (filters.length === 0 || !filters.every((f) => Number.isSafeInteger(f) && f >= 1)) {
    throw rangeError(fn, "filters", what, filters);
  }
  const input = tf.input({ shape: inputShape, name: "input" });
  let x = input;
  filters.forEach((f, i) => {
    const p = `stage${i + 1}`;
    if (i > 0) {
      x = applyTo(
        tf.layers.maxPooling2d({ poolSize: 2, strides: 2, padding: "same", name: `${p}_pool` }),
        x,
      );
    }
    x = conv(x, { name: `${p}_conv`, filters: f, size: 3, stride: 1, seed });
    x = applyRelu(applyBatchNorm(x, `${p}_bn`), `${p}_relu`);
  });
  const h = applyTo(tf.layers.globalAveragePooling2d({ name: "avg_pool" }), x);
  return tf.model({ inputs: input, outputs: h, name });
}
