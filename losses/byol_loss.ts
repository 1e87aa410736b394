import * as tf from "@tensorflow/tfjs";
import { normalizeRows } from "./_normalize.ts";
import { stopGradient } from "./_stop_gradient.ts";
import { checkFinite, checkMatrix, checkSameShape, checkValueOption } from "./_validate.ts";
import type { ValueCheckOptions } from "./value_check_options.ts";

/**
 * BYOL's regression loss: the batch mean of 2 - 2 cos(p_i, z_i).
 *
 * From "Bootstrap Your Own Latent" (Grill et al., 2020, arXiv:2006.07733), equation 2: the
 * mean squared distance between the L2-normalised prediction p_i of the online network and the
 * L2-normalised target projection z_i, which equals 2 - 2 cos(p_i, z_i) and lies in [0, 4].
 * The target is a constant: the gradient with respect to `z` is exactly zero (a stop-gradient),
 * so only the online network learns from this loss.
 *
 * Convention: the mean over the N rows of one view pair. BYOL symmetrises the loss by adding
 * the same loss with the views swapped; do that by calling this function twice. Rows with norm
 * below 1e-12 count as zero vectors (cosine 0, loss 2 for that row); rows of any larger finite
 * size are normalised without overflow (each row is scaled by its largest entry first).
 *
 * Unless `checkValues` is false, the inputs are read back once (a two-element flag vector) to
 * reject NaN and infinities. That read is a GPU round-trip: training steps pass
 * `{ checkValues: false }` (see {@linkcode ValueCheckOptions}).
 *
 * @param p Predictions of the online network, float32 [N, D] with N, D >= 1.
 * @param z Projections of the target network for the other view, float32 [N, D].
 * @param options Whether to check values (default true).
 * @returns A float32 scalar in [0, 4] that the caller disposes. Gradients flow into `p` only.
 * @throws {TypeError} If `p` or `z` is not a float32 rank-2 tensor, or an option has the wrong
 * type.
 * @throws {RangeError} If `p` has no rows or columns, the shapes differ, or (when checked) a
 * value is NaN or infinite.
 *
 * @example A prediction that is a positive multiple of its target costs nothing
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { byolLoss } from "@selfsup/losses";
 *
 * const z = tf.tensor2d([[1, 2], [3, -1]]);
 * const p = tf.tensor2d([[2, 4], [-3, 1]]); // row 0 agrees with z, row 1 points away
 * const loss = byolLoss(p, z);
 * assert.ok(Math.abs(loss.dataSync()[0] - (0 + 4) / 2) < 1e-6);
 * tf.dispose([p, z, loss]);
 * ```
 *
 * @example The symmetrised loss of one BYOL training step (no value check on the hot path)
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { byolLoss } from "@selfsup/losses";
 *
 * const [p1, p2, z1, z2] = [1, 2, 3, 4].map((seed) =>
 *   tf.randomNormal([4, 16], 0, 1, "float32", seed)
 * );
 * const options = { checkValues: false };
 * const loss = tf.tidy(() => tf.add(byolLoss(p1, z2, options), byolLoss(p2, z1, options)));
 * const value = loss.dataSync()[0];
 * assert.ok(value >= 0 && value <= 8);
 * tf.dispose([p1, p2, z1, z2, loss]);
 * ```
 */
export function byolLoss(
  p: tf.Tensor,
  z: tf.Tensor,
  options: ValueCheckOptions = {},
): tf.Scalar {
  const fn = "byolLoss";
  checkMatrix(fn, "p", p, "[N, D]", 1);
  checkMatrix(fn, "z", z, "[N, D]", 1);
  checkSameShape(fn, "p", p, "z", z);
  if (checkValueOption(fn, options)) checkFinite(fn, { p, z });

  return tf.tidy(() => {
    const pUnit = normalizeRows(p); // [N, D]
    const zUnit = normalizeRows(stopGradient(z)); // [N, D], a constant target
    const cosine = tf.sum(tf.mul(pUnit, zUnit), 1); // [N]
    return tf.mean(tf.sub(2, tf.mul(2, cosine))) as tf.Scalar;
  });
}
