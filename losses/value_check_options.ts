/**
 * Options every loss in this package accepts.
 *
 * @example Skip the value check inside a loop that already watches the loss
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { byolLoss, type ValueCheckOptions } from "@selfsup/losses";
 *
 * const options: ValueCheckOptions = { checkValues: false };
 * const p = tf.randomNormal([4, 8], 0, 1, "float32", 1);
 * const z = tf.randomNormal([4, 8], 0, 1, "float32", 2);
 * const loss = byolLoss(p, z, options);
 * if (Number.isNaN(loss.dataSync()[0])) throw new Error("the loss is NaN");
 * tf.dispose([p, z, loss]);
 * ```
 */
export interface ValueCheckOptions {
  /**
   * Read the inputs back once to check that every value is finite (and, for integer labels
   * given as a tensor, that they lie in range). This is a single synchronous read of a few
   * numbers; on GPU backends it makes the loss wait for its inputs, so a training loop that
   * already watches the loss for NaN may pass `false`. Default `true`.
   */
  checkValues?: boolean;
}
