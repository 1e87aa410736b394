import * as tf from "@tensorflow/tfjs";

// Rows shorter than this are treated as zero vectors (cosine 0 with everything), as
// torch.nn.functional.normalize does: x / max(|x|, EPSILON).
const EPSILON = 1e-12;

// x / max(|x|, EPSILON) for each row of x [N, D], computed without overflow: the squared norm
// of a row above ~1.8e19 overflows float32, so each row is first divided by s = max(max_k
// |x_k|, EPSILON). The scaled row y = x / s has entries in [-1, 1], and
//   x / max(|x|, EPSILON) = y / max(|y|, EPSILON / s) = y * rsqrt(max(|y|^2, 1)),
// because either s = max|x_k| >= EPSILON, so |y| >= 1 >= EPSILON / s, or s = EPSILON.
//
// The gradient is written out rather than differentiated through the max: with u the result,
// the map is x / |x| when |x| >= EPSILON, whose Jacobian-vector product is
// (dy - u <u, dy>) / |x|, and x / EPSILON below that, whose product is dy / EPSILON. Ties
// (|x| = EPSILON exactly) take the first form, as tf.maximum's gradient did before.
const normalizeRowsWithGradient = tf.customGrad((x, save) => {
  const rows = x as tf.Tensor2D;
  const scale = tf.maximum(tf.max(tf.abs(rows), 1, true), EPSILON); // [N, 1]
  const scaled = tf.div(rows, scale); // [N, D], entries in [-1, 1]
  const squaredNorm = tf.sum(tf.square(scaled), 1, true); // [N, 1], |x|^2 / s^2
  const normalised = tf.cast(tf.greaterEqual(squaredNorm, 1), "float32"); // [N, 1]: |x| >= eps
  const inverseNorm = tf.rsqrt(tf.maximum(squaredNorm, 1)); // [N, 1], s / max(|x|, eps)
  const unit = tf.mul(scaled, inverseNorm); // [N, D]
  (save as tf.GradSaveFunc)([unit, tf.div(inverseNorm, scale), normalised]);
  return {
    value: unit,
    gradFunc: (dy: tf.Tensor, [u, inverseLength, projected]: tf.Tensor[]) => {
      const radial = tf.mul(projected!, tf.sum(tf.mul(u!, dy), 1, true)); // [N, 1]
      return tf.mul(tf.sub(dy, tf.mul(u!, radial)), inverseLength!); // [N, D]
    },
  };
}) as (x: tf.Tensor2D) => tf.Tensor2D;

/**
 * Divides every row of `x` [N, D] by its L2 norm (rows with norm below 1e-12 by 1e-12), for
 * every finite input: rows of any size up to float32's largest are normalised exactly. Runs in
 * the caller's tidy scope: the caller owns (or tidies) the result.
 */
export function normalizeRows(x: tf.Tensor2D): tf.Tensor2D {
  return normalizeRowsWithGradient(x);
}
