import * as tf from "@tensorflow/tfjs";

// Rows shorter than this are treated as zero vectors (cosine 0 with everything), as
// torch.nn.functional.normalize does. Clamping the squared norm keeps the gradient finite at 0.
const EPSILON = 1e-12;

/**
 * Divides every row of `x` [N, D] by its L2 norm. Runs in the caller's tidy scope: the caller
 * owns (or tidies) the result.
 */
export function normalizeRows(x: tf.Tensor2D): tf.Tensor2D {
  const squaredNorm = tf.sum(tf.square(x), 1, true); // [N, 1]
  return tf.mul(x, tf.rsqrt(tf.maximum(squaredNorm, EPSILON * EPSILON)));
}
