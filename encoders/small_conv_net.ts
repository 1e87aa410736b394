import * as tf from "@tensorflow/tfjs";
import { batchNorm, conv, relu } from "./_layers.ts";
import { checkInputShape, checkName, checkSeed } from "./_validate.ts";

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
 * @throws {RangeError} If `inputShape`, `filters` or `seed` is not allowed, naming the value.
 * @throws {TypeError} If `name` is not a non-empty string.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { smallConvNet } from "@selfsup/encoders";
 *
 * const encoder = smallConvNet({ inputShape: [28, 28, 1], filters: [8, 16], seed: 3 });
 * const h = encoder.predict(tf.ones([4, 28, 28, 1])) as tf.Tensor;
 * console.log(h.shape); // [4, 16]
 * h.dispose();
 * encoder.dispose();
 * ```
 */
export function smallConvNet(options: SmallConvNetOptions): tf.LayersModel {
  const where = "smallConvNet()";
  const { inputShape, seed, filters = [32, 64, 128], name = "small_convnet" } = options;
  checkInputShape(inputShape, where);
  checkSeed(seed, where);
  checkName(name, where);
  if (
    !Array.isArray(filters) || filters.length === 0 ||
    !filters.every((f) => Number.isSafeInteger(f) && f > 0)
  ) {
    throw new RangeError(
      `${where}: filters must be a non-empty array of positive integers, got ${
        JSON.stringify(filters)
      }`,
    );
  }
  const input = tf.input({ shape: inputShape, name: "input" });
  let x = input;
  filters.forEach((f, i) => {
    const p = `stage${i + 1}`;
    if (i > 0) {
      x = tf.layers.maxPooling2d({ poolSize: 2, strides: 2, padding: "same", name: `${p}_pool` })
        .apply(x) as tf.SymbolicTensor;
    }
    x = conv(x, { name: `${p}_conv`, filters: f, size: 3, stride: 1, seed });
    x = relu(batchNorm(x, `${p}_bn`), `${p}_relu`);
  });
  const h = tf.layers.globalAveragePooling2d({ name: "avg_pool" }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: h, name });
}
