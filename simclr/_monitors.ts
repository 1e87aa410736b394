import * as tf from "@tensorflow/tfjs";

// Rows shorter than this count as zero vectors, as in ntXent.
const EPSILON = 1e-12;

/**
 * The contrastive monitors of one step from the projections `z` [2N, P] (view 1 rows, then
 * view 2 rows), as one float32 vector: `[positive cosine, negative cosine, top-1 accuracy]`.
 *
 * - positive cosine: mean cosine similarity of the N positive pairs;
 * - negative cosine: mean cosine over the 2N (2N - 2) ordered negative pairs;
 * - top-1 accuracy: fraction of the 2N anchors whose positive is the most similar of the
 *   2N - 1 other views (ties go to the lower index, so a collapsed batch scores about 1/2N,
 *   not 1).
 *
 * Costs one [2N, P] x [P, 2N] product: nothing next to a training step. Runs in the caller's
 * tidy scope.
 */
export function contrastiveMonitors(z: tf.Tensor2D): tf.Tensor1D {
  const m = z.shape[0];
  const n = m / 2;
  const u = tf.div(z, tf.maximum(tf.norm(z, "euclidean", 1, true), EPSILON)); // [2N, P]
  const similarity = tf.matMul(u, u, false, true) as tf.Tensor2D; // [2N, 2N]
  const [u1, u2] = tf.split(u, 2, 0); // [N, P] each
  const positive = tf.sum(tf.mul(u1, u2)); // sum of the N positive cosines
  // Every entry of the matrix is the diagonal (|u_i|^2), a positive pair (twice each) or a
  // negative pair.
  const negative = tf.sub(tf.sub(tf.sum(similarity), tf.sum(tf.square(u))), tf.mul(positive, 2));
  const predicted = tf.argMax(withoutDiagonal(similarity), 1); // [2N], index in the 2N-1 others
  // Anchor i < N has its positive at column i + N, one place left once column i is dropped;
  // anchor i >= N has it at column i - N, left of the diagonal, so unmoved.
  const expected = tf.concat([tf.range(n - 1, m - 1, 1, "int32"), tf.range(0, n, 1, "int32")]);
  const accuracy = tf.mean(tf.cast(tf.equal(predicted, expected), "float32"));
  return tf.stack([
    tf.div(positive, n),
    tf.div(negative, m * (m - 2)),
    accuracy,
  ]) as tf.Tensor1D;
}

// Row i of the square matrix `x` [M, M] without x[i][i], as [M, M-1]: in row-major order the
// diagonal sits every M+1 places from 0, so dropping the first entry and reshaping to
// [M-1, M+1] puts the rest of it in the last column.
function withoutDiagonal(x: tf.Tensor2D): tf.Tensor2D {
  const m = x.shape[0];
  const shifted = tf.reshape(tf.slice(tf.reshape(x, [m * m]), 1), [m - 1, m + 1]);
  return tf.reshape(tf.slice(shifted, [0, 0], [m - 1, m]), [m, m - 1]);
}
