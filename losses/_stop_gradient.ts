import * as tf from "@tensorflow/tfjs";

// The identity in the forward pass, a zero gradient in the backward pass.
const zeroGradientIdentity = tf.customGrad((x) => ({
  value: tf.clone(x as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
}));

/**
 * Returns a copy of `x` through which no gradient flows (TensorFlow's `tf.stop_gradient`,
 * which TensorFlow.js lacks): the gradient with respect to `x` is exactly zero. The caller
 * owns the returned tensor.
 */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return zeroGradientIdentity(x) as T;
}
