// A drop-in `tf.layers.batchNormalization` that trains through the fused `batchNormTraining`
// op. Both model packages build their batch norms from it; `@selfsup/encoders` re-exports it
// for users' own models.
import * as tf from "@tensorflow/tfjs";
import { batchNormTraining, hasBatchNormTrainingKernel } from "./batch_norm_training.ts";

/** The configuration `tf.layers.batchNormalization` takes (and {@linkcode batchNormalization}). */
export type BatchNormalizationArgs = Parameters<typeof tf.layers.batchNormalization>[0];

/** The fields of tfjs's BatchNormalization layer the fused training path reads. */
interface BatchNormalizationFields extends tf.layers.Layer {
  axis: number;
  momentum: number;
  epsilon: number;
  gamma?: tf.LayerVariable;
  beta?: tf.LayerVariable;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}

type BatchNormalizationClass = new (args?: BatchNormalizationArgs) => BatchNormalizationFields;

/**
 * tfjs's own BatchNormalization class, found through the serialization registry (the class
 * itself is not exported, and building a throwaway layer would advance tfjs's name counter).
 */
function stockBatchNormalizationClass(): BatchNormalizationClass {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap["BatchNormalization"];
  if (entry === undefined) throw new Error("tfjs has no BatchNormalization layer registered");
  return entry[0] as unknown as BatchNormalizationClass;
}

/**
 * tfjs's BatchNormalization with one change: in training, on a backend that has the fused
 * kernel, the batch statistics, the normalisation and their gradients come from
 * {@linkcode batchNormTraining} instead of `tf.moments` + `tf.batchNorm`. The moving averages
 * are updated with the same operations as tfjs's, so weights, moving statistics and the
 * serialised form (class name `BatchNormalization`) are those of the stock layer.
 */
class FusedTrainingBatchNormalization extends stockBatchNormalizationClass() {
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: tf.serialization.ConfigDict) {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    const axis = this.axis >= 0 ? this.axis : this.axis + x.rank;
    const fused = Boolean(kwargs["training"]) && axis === x.rank - 1 && x.rank >= 2 &&
      this.gamma !== undefined && this.beta !== undefined && hasBatchNormTrainingKernel();
    if (!fused) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const { y, mean, variance } = batchNormTraining(
        x,
        this.gamma!.read(),
        this.beta!.read(),
        this.epsilon,
      );
      const updates: [tf.LayerVariable, tf.Tensor][] = [
        [this.movingMean, mean],
        [this.movingVariance, variance],
      ];
      for (const [moving, batch] of updates) {
        tf.tidy(() => {
          // The same ops, in the same order, as tfjs's BatchNormalization.
          const current = moving.read();
          moving.write(tf.sub(current, tf.mul(tf.sub(current, batch), 1 - this.momentum)));
        });
      }
      return y;
    });
  }
}

/**
 * Makes a batch-normalisation layer: `tf.layers.batchNormalization(args)`, except that it
 * trains with one fused kernel per direction on backends that provide one (the `blas`
 * backend of `@selfsup/backends`), several times faster on a CPU than the op chain tfjs
 * records. Inference, other backends, and any axis but the last behave exactly as the stock
 * layer. It serialises as `BatchNormalization`, so saved models load with plain
 * `tf.loadLayersModel` (as stock layers).
 *
 * @param args The options of `tf.layers.batchNormalization`.
 * @returns The layer.
 *
 * @example Train-mode normalisation of a batch
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { batchNormalization } from "@selfsup/internal";
 * import assert from "node:assert/strict";
 *
 * const layer = batchNormalization({ epsilon: 0 });
 * const y = layer.apply(tf.tensor2d([[1, 10], [3, 30]]), { training: true }) as tf.Tensor;
 * assert.deepEqual(y.arraySync(), [[-1, -1], [1, 1]]);
 * assert.equal(layer.getClassName(), "BatchNormalization");
 * ```
 */
export function batchNormalization(args: BatchNormalizationArgs = {}): tf.layers.Layer {
  return new FusedTrainingBatchNormalization(args);
}
