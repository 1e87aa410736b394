import type { LayersModel } from "@tensorflow/tfjs";
import { checkNumber } from "@selfsup/internal";
import { averageInto, emaPairs } from "./_ema_pairs.ts";

/**
 * Moves the target network toward the online network, in place: for every trainable weight,
 * `target <- momentum * target + (1 - momentum) * online`. BYOL's target update (Grill et al.
 * 2020, "Bootstrap Your Own Latent", arXiv:2006.07733, equation 1, with momentum tau).
 *
 * Batch norm, as the BYOL code does (deepmind-research `byol/byol_experiment.py`): only the
 * parameters are averaged (Haiku's `params`: kernels, biases, batch-norm gamma and beta; here
 * the weights that are trainable in `online`). The batch-norm moving statistics (Haiku's
 * `state`; here the non-trainable weights) are the target's own: the target's forward passes
 * in training mode update them, and this function leaves them alone, as it leaves any weight
 * the online network does not train. lightly's `update_momentum` does the same (it averages
 * `parameters()`, not buffers).
 *
 * Exact at the ends: momentum 1 changes nothing (no work at all) and momentum 0 copies the
 * online weights bit for bit. In between, the distance from every target weight to the online
 * weight becomes `momentum` times what it was, up to float32 rounding.
 *
 * Cost: one `tf.tidy` with three elementwise operations per weight, no read-back; nothing is
 * allocated that outlives the call.
 *
 * @param target The model to update, e.g. from {@linkcode copyModel} of `online`.
 * @param online The model to move toward; it is not changed.
 * @param momentum The decay tau in [0, 1]: the share of its own value the target keeps.
 * @throws {TypeError} If `target` or `online` is not a `tf.LayersModel`, the two do not have
 * the same weights (count, order, shapes, dtypes and trainable flags: same architecture), or
 * they share a variable (a target must be a separate copy).
 * @throws {RangeError} If `momentum` is not a finite number in [0, 1].
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { copyModel, emaUpdate } from "@selfsup/byol";
 *
 * const online = tf.sequential({
 *   layers: [tf.layers.dense({ inputShape: [2], units: 1, useBias: false })],
 * });
 * const target = copyModel(online);
 * const [a, b] = [tf.tensor2d([[1], [2]]), tf.tensor2d([[3], [6]])];
 * online.setWeights([a]);
 * target.setWeights([b]);
 * emaUpdate(target, online, 0.75); // 0.75 * [3, 6] + 0.25 * [1, 2]
 * assert.deepEqual(Array.from(target.getWeights()[0].dataSync()), [2.5, 5]);
 * tf.dispose([a, b]);
 * online.dispose();
 * target.dispose();
 * ```
 */
export function emaUpdate(
  target: LayersModel,
  online: LayersModel,
  momentum: number,
): void {
  const pairs = emaPairs("emaUpdate", target, online);
  checkNumber("emaUpdate", "momentum", momentum, { min: 0, max: 1 });
  averageInto(pairs, momentum);
}
