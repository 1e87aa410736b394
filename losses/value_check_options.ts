/**
 * The option every loss in this package accepts.
 *
 * `checkValues` (default `true`) reads the inputs back once to check that every value is
 * finite (and, for labels given as a tensor, that they lie in range). That is one synchronous
 * read of a few numbers, but on GPU backends (webgpu, webgl) it makes the loss wait until its
 * inputs are computed: a round-trip every call. Keep it on where a loss is called once (a first
 * step, an evaluation, exploring in a notebook); training steps pass `checkValues: false` and
 * watch the loss itself for NaN (the learners of `@selfsup/simclr`, `@selfsup/byol` and
 * `@selfsup/distill` do).
 *
 * @example Skip the value check inside a training step
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { byolLoss, type ValueCheckOptions } from "@selfsup/losses";
 *
 * const options: ValueCheckOptions = { checkValues: false };
 * const p = tf.tensor2d([[1, NaN]]);
 * const z = tf.tensor2d([[1, 0]]);
 * assert.throws(() => byolLoss(p, z), RangeError); // checked by default
 * const loss = byolLoss(p, z, options); // not checked: the NaN reaches the loss
 * assert.ok(Number.isNaN(loss.dataSync()[0]));
 * tf.dispose([p, z, loss]);
 * ```
 */
export interface ValueCheckOptions {
  /**
   * Read the inputs back once to reject NaN and infinities (and out-of-range tensor labels).
   * A GPU round-trip every call: training steps pass `false`. Default `true`.
   */
  checkValues?: boolean;
}
