import * as tf from "@tensorflow/tfjs";
import { describe, rangeError, typeError } from "@selfsup/internal";

const BLOCK_NAME = /^layer(\d+)_/;

/**
 * The model made of the first `k` linear layers of a head built by
 * {@linkcode projectionHead}, sharing its weights: SimCLRv2 fine-tunes a classifier on top of
 * a middle layer of the projection head instead of on h.
 *
 * `k` counts linear layers (Dense -> BN -> ReLU blocks), as `ft_proj_selector` in
 * google-research/simclr tf2:
 *
 * - `k = 0`: the head's input h itself (an identity model, no weights);
 * - `0 < k < layers`: the output of middle layer k, after its batch norm and ReLU (the layers
 *   named `layer1_*` ... `layer<k>_*`);
 * - `k = layers`: the head's output z.
 *
 * For SimCLRv2's 3-layer head, `headUpTo(head, 1)` is the input of the fine-tuning
 * classifier. The returned model uses the very same layer objects as `head`, so training it
 * trains the head (moving statistics included). Dispose only one of the two (usually `head`):
 * disposing either frees the shared weights.
 *
 * @param head A model from {@linkcode projectionHead} (any model whose layers are named
 *   `layer<j>_...` in order works).
 * @param k Number of linear layers to keep, 0 to the head's `layers`.
 * @returns A `tf.LayersModel` from the head's input to the output of layer `k`, named
 *   `<head name>_up_to_<k>`.
 * @throws {TypeError} If `head` is not a single-input `tf.LayersModel`, or `k` not a number.
 * @throws {RangeError} If `k` is not an integer in [0, layers], naming the allowed range.
 *
 * @example Fine-tuning input of a SimCLRv2 head
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
import { describe, rangeError, typeError } from "@selfsup/internal";
 * import { headUpTo, projectionHead } from "@selfsup/heads";
 * import assert from "node:assert/strict";
 *
 * const head = projectionHead({ inputDim: 16, hiddenDim: 12, outputDim: 8, layers: 3, seed: 5 });
 * const trunk = headUpTo(head, 1);
 * const features = trunk.predict(tf.ones([2, 16])) as tf.Tensor;
 * assert.deepEqual(features.shape, [2, 12]);
 * features.dispose();
 * head.dispose();
 * ```
 */
export function headUpTo(head: tf.LayersModel, k: number): tf.LayersModel {
  const fn = "headUpTo";
  if (!(head instanceof tf.LayersModel) || head.inputs.length !== 1) {
    throw new TypeError(
      `${fn}(): head must be a single-input tf.LayersModel, got ${
        head instanceof tf.LayersModel
          ? `a model with ${head.inputs.length} inputs`
          : describe(head)
      }`,
    );
  }
  let layers = 0;
  for (const layer of head.layers) {
    const match = BLOCK_NAME.exec(layer.name);
    if (match) layers = Math.max(layers, Number(match[1]));
  }
  const allowed = `an integer in [0, ${layers}] for head "${head.name}"`;
  if (typeof k !== "number") throw typeError(fn, "k", allowed, k);
  if (!Number.isSafeInteger(k) || k < 0 || k > layers) throw rangeError(fn, "k", allowed, k);
  const input = head.inputs[0];
  let output = input;
  if (k > 0) {
    const prefix = `layer${k}_`;
    const block = head.layers.filter((l) => l.name.startsWith(prefix));
    if (block.length === 0) {
      throw rangeError(
        fn,
        "k",
        `a layer of head "${head.name}" (no layer is named ${prefix}...)`,
        k,
      );
    }
    output = block[block.length - 1].output as tf.SymbolicTensor;
  }
  return tf.model({ inputs: input, outputs: output, name: `${head.name}_up_to_${k}` });
}
