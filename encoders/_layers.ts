import * as tf from "@tensorflow/tfjs";
import { layerSeed } from "./_layer_seed.ts";
import { batchNormalization } from "./batch_normalization.ts";

/** Batch-norm settings of google-research/simclr tf2 (decay 0.9, epsilon 1e-5). */
export const BN_MOMENTUM = 0.9;
/** Batch-norm epsilon of google-research/simclr tf2 and torchvision. */
export const BN_EPSILON = 1e-5;

/**
 * A bias-free `size x size` convolution initialised as torchvision's ResNet
 * (`kaiming_normal_(mode="fan_out", nonlinearity="relu")`: an untruncated normal with
 * standard deviation sqrt(2 / (size * size * filters))).
 *
 * Strided convolutions are padded explicitly by (size - 1) / 2 on every side, as torchvision
 * does, instead of with "same", which pads TensorFlow-style (more at the bottom/right) and so
 * would give different outputs from the same weights.
 */
export function conv(
  x: tf.SymbolicTensor,
  options: { name: string; filters: number; size: number; stride: number; seed: number },
): tf.SymbolicTensor {
  const { name, filters, size, stride, seed } = options;
  const pad = (size - 1) / 2;
  if (stride > 1 && pad > 0) {
    x = tf.layers.zeroPadding2d({ padding: [[pad, pad], [pad, pad]], name: `${name}_pad` })
      .apply(x) as tf.SymbolicTensor;
  }
  return tf.layers.conv2d({
    name,
    filters,
    kernelSize: size,
    strides: stride,
    padding: stride > 1 ? "valid" : "same",
    useBias: false,
    kernelInitializer: tf.initializers.randomNormal({
      mean: 0,
      stddev: Math.sqrt(2 / (size * size * filters)),
      seed: layerSeed(seed, name),
    }),
  }).apply(x) as tf.SymbolicTensor;
}

/** Standard batch normalisation over channels (gamma ones, beta zeros). */
export function batchNorm(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return batchNormalization({ name, axis: -1, momentum: BN_MOMENTUM, epsilon: BN_EPSILON })
    .apply(x) as tf.SymbolicTensor;
}

/** A ReLU layer. */
export function relu(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return tf.layers.reLU({ name }).apply(x) as tf.SymbolicTensor;
}
