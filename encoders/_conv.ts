import * as tf from "@tensorflow/tfjs";
import { applyTo, layerSeed } from "@selfsup/internal";
import { LazyGradientConv2D } from "./_lazy_gradient_conv2d.ts";
import { PaddedConv2D } from "./_padded_conv2d.ts";

/**
 * A bias-free `size x size` convolution initialised as torchvision's ResNet
 * (`kaiming_normal_(mode="fan_out", nonlinearity="relu")`: an untruncated normal with
 * standard deviation sqrt(2 / (size * size * filters))).
 *
 * Strided convolutions are padded explicitly by (size - 1) / 2 on every side, as torchvision
 * does, instead of with "same", which pads TensorFlow-style (more at the bottom/right) and so
 * would give different outputs from the same weights: a `PaddedConv2D` (class name
 * `SelfsupPaddedConv2D`), whose convolution takes the padding itself.
 */
export function conv(
  x: tf.SymbolicTensor,
  options: { name: string; filters: number; size: number; stride: number; seed: number },
): tf.SymbolicTensor {
  const { name, filters, size, stride, seed } = options;
  const pad = (size - 1) / 2;
  const args = {
    name,
    filters,
    kernelSize: size,
    strides: stride,
    useBias: false,
    kernelInitializer: tf.initializers.randomNormal({
      mean: 0,
      stddev: Math.sqrt(2 / (size * size * filters)),
      seed: layerSeed(seed, name),
    }),
  };
  if (stride > 1 && pad > 0) {
    return applyTo(new PaddedConv2D({ ...args, explicitPadding: [[pad, pad], [pad, pad]] }), x);
  }
  return applyTo(new LazyGradientConv2D({ ...args, padding: stride > 1 ? "valid" : "same" }), x);
}
