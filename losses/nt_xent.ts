import * as tf from "@tensorflow/tfjs";
import { normalizeRows } from "./_normalize.ts";
import {
  checkFinite,
  checkMatrix,
  checkSameShape,
  checkTemperature,
  checkValueOption,
} from "./_validate.ts";
import type { ValueCheckOptions } from "./value_check_options.ts";

/**
 * Options for {@linkcode ntXent}.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { ntXent, type NtXentOptions } from "@selfsup/losses";
 *
 * const options: NtXentOptions = { temperature: 0.1 }; // SimCLR's choice for large batches
 * const z = tf.ones([2, 4]); // all views alike: log(2N - 1) at any temperature
 * const loss = ntXent(z, z, options);
 * assert.ok(Math.abs(loss.dataSync()[0] - Math.log(3)) < 1e-5);
 * tf.dispose([z, loss]);
 * ```
 */
export interface NtXentOptions extends ValueCheckOptions {
  /** Softmax temperature, a finite number > 0. SimCLR's default is 0.5. */
  temperature?: number;
}

/**
 * NT-Xent, the normalised temperature-scaled cross-entropy loss of SimCLR.
 *
 * From "A Simple Framework for Contrastive Learning of Visual Representations" (Chen et al.,
 * 2020, arXiv:2002.05709). Row i of `z1` and row i of `z2` are the projections of two views of
 * image i. Both are L2-normalised; each of the 2N views is an anchor whose positive is the
 * other view of its image and whose negatives are the other 2N-2 views. The loss is the softmax
 * cross-entropy over those 2N-1 candidates of cosine similarity / temperature.
 *
 * Convention: the mean over all 2N anchors (as lightly's `NTXentLoss`);
 * google-research/simclr reports twice this value (the sum of its two N-anchor means). With
 * every embedding identical the loss is log(2N-1).
 *
 * Numerics: the anchor itself is removed from its row of logits rather than masked with a
 * large negative constant, and the log-sum-exp subtracts the row maximum, so the loss stays
 * finite for temperatures down to 0.01 and any D. Rows with norm below 1e-12 count as zero
 * vectors (cosine 0 with every other view); rows of any larger finite size are normalised
 * without overflow (each row is scaled by its largest entry first).
 *
 * Unless `checkValues` is false, the inputs are read back once (a two-element flag vector) to
 * reject NaN and infinities. That read is a GPU round-trip: training steps pass
 * `{ checkValues: false }` (see {@linkcode ValueCheckOptions}).
 *
 * @param z1 Projections of the first views, float32 [N, D] with N >= 2.
 * @param z2 Projections of the second views, float32 [N, D], same shape as `z1`.
 * @param options The temperature (default 0.5) and whether to check values (default true).
 * @returns A float32 scalar that the caller disposes. Gradients flow into `z1` and `z2`.
 * @throws {TypeError} If `z1` or `z2` is not a float32 rank-2 tensor, or an option has the
 * wrong type.
 * @throws {RangeError} If `z1` has fewer than 2 rows or no columns, the shapes differ, the
 * temperature is not a finite number > 0, or (when checked) a value is NaN or infinite.
 *
 * @example Identical embeddings give log(2N - 1)
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { ntXent } from "@selfsup/losses";
 *
 * const z = tf.ones([4, 8]);
 * const loss = ntXent(z, z, { temperature: 0.1 });
 * assert.ok(Math.abs(loss.dataSync()[0] - Math.log(7)) < 1e-5);
 * tf.dispose([z, loss]);
 * ```
 *
 * @example Gradients for a training step (no value check on the hot path)
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { ntXent } from "@selfsup/losses";
 *
 * const z1 = tf.variable(tf.randomNormal([8, 16], 0, 1, "float32", 1));
 * const z2 = tf.variable(tf.randomNormal([8, 16], 0, 1, "float32", 2));
 * const { value, grads } = tf.variableGrads(() => ntXent(z1, z2, { checkValues: false }));
 * assert.deepEqual(grads[z1.name].shape, [8, 16]);
 * tf.dispose([z1, z2, value, ...Object.values(grads)]);
 * ```
 */
export function ntXent(
  z1: tf.Tensor,
  z2: tf.Tensor,
  options: NtXentOptions = {},
): tf.Scalar {
  const fn = "ntXent";
  checkMatrix(fn, "z1", z1, "[N, D]", 2);
  checkMatrix(fn, "z2", z2, "[N, D]", 2);
  checkSameShape(fn, "z1", z1, "z2", z2);
  const checkValues = checkValueOption(fn, options);
  const temperature = checkTemperature(fn, options.temperature, 0.5);
  if (checkValues) checkFinite(fn, { z1, z2 });

  return tf.tidy(() => {
    const z = normalizeRows(tf.concat([z1, z2], 0)); // [2N, D], unit rows
    const similarity = tf.div(tf.matMul(z, z, false, true), temperature); // [2N, 2N]
    const logits = withoutDiagonal(similarity); // [2N, 2N-1]: the anchor itself is dropped
    // The positive of anchor i is view i of the other half; both anchors of a pair share it.
    const [u1, u2] = tf.split(z, 2, 0); // [N, D] each
    const positive = tf.div(tf.sum(tf.mul(u1, u2), 1), temperature); // [N]
    const perAnchor = tf.sub(logSumExpRows(logits), tf.concat([positive, positive])); // [2N]
    return tf.mean(perAnchor) as tf.Scalar;
  });
}

// log(sum(exp(x))) of each row [M, K] -> [M], shifted by the row maximum for stability, with
// its exact gradient dy * softmax(x) = dy * exp(x - lse). tf.logSumExp also differentiates
// through the maximum (which cancels), at the cost of an Equal mask and a multiply per step.
const logSumExpRows = tf.customGrad((x, save) => {
  const rows = x as tf.Tensor2D;
  const rowMax = tf.max(rows, 1, true); // [M, 1]
  const lse = tf.add(rowMax, tf.log(tf.sum(tf.exp(tf.sub(rows, rowMax)), 1, true))); // [M, 1]
  (save as tf.GradSaveFunc)([rows, lse]);
  return {
    value: tf.reshape(lse, [-1]),
    gradFunc: (dy: tf.Tensor, [saved, savedLse]: tf.Tensor[]) =>
      tf.mul(tf.reshape(dy, [-1, 1]), tf.exp(tf.sub(saved!, savedLse!))),
  };
}) as (x: tf.Tensor2D) => tf.Tensor1D;

// Row i of the result holds row i of the square matrix `x` [M, M] without x[i][i]. In row-major
// order the diagonal entries sit every M+1 places starting at 0, so dropping the first entry
// and reshaping to [M-1, M+1] puts the rest of them in the last column.
function withoutDiagonal(x: tf.Tensor): tf.Tensor2D {
  const m = x.shape[0];
  const flat = tf.slice(tf.reshape(x, [m * m]), 1); // [M*M - 1]
  const shifted = tf.reshape(flat, [m - 1, m + 1]); // [M-1, M+1], diagonal in last column
  return tf.reshape(tf.slice(shifted, [0, 0], [m - 1, m]), [m, m - 1]); // [M, M-1]
}
