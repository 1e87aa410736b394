/**
 * The option every augmentation that reads its input back accepts.
 *
 * @example Skip the [0, 1] check inside a training step
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { smallImageViews, type ValueCheckOptions } from "@selfsup/augment";
 * import assert from "node:assert/strict";
 *
 * const options: ValueCheckOptions = { checkValues: false };
 * const images = tf.randomUniform([2, 8, 8, 1], 0, 1, "float32", 1) as tf.Tensor4D;
 * const [a, b] = smallImageViews(images, { seed: 1, ...options });
 * assert.deepEqual(a.shape, [2, 8, 8, 1]);
 * tf.dispose([images, a, b]);
 * ```
 */
export interface ValueCheckOptions {
  /**
   * Read the images back once to check that every value lies in [0, 1] (NaN fails). The check
   * reads two numbers, but it is a synchronous read: on GPU backends (webgpu, webgl) it waits
   * for the images to be computed, a round trip every call. Training steps, whose images come
   * from `@selfsup/data` already in range, pass `false`. Default `true`.
   */
  checkValues?: boolean;
}
