import * as tf from "@tensorflow/tfjs";

/** Batch-norm momentum of google-research/simclr tf2 (decay 0.9) and BYOL. */
export const BN_MOMENTUM = 0.9;
/** Batch-norm epsilon of google-research/simclr tf2 and BYOL. */
export const BN_EPSILON = 1e-5;

/** Applies `layer` to one symbolic tensor. */
export function applyTo(layer: tf.layers.Layer, x: tf.SymbolicTensor): tf.SymbolicTensor {
  return layer.apply(x) as tf.SymbolicTensor;
}

/**
 * Batch normalisation over the features of `[N, D]`.
 *
 * With `center: false` the layer still gets a beta, but frozen at zero (its variable is not
 * trainable): tfjs 4.22's BatchNormalization reads beta unconditionally in training mode and
 * fails when it was built without one.
 */
export function batchNorm(
  x: tf.SymbolicTensor,
  name: string,
  center = true,
): tf.SymbolicTensor {
  const layer = tf.layers.batchNormalization({
    name,
    axis: -1,
    momentum: BN_MOMENTUM,
    epsilon: BN_EPSILON,
  });
  const y = applyTo(layer, x);
  if (!center) {
    for (const w of layer.weights) {
      if (w.originalName === `${name}/beta`) w.trainable = false;
    }
  }
  return y;
}

/** A ReLU layer. */
export function relu(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return applyTo(tf.layers.reLU({ name }), x);
}
