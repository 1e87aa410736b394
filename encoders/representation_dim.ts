import type * as tf from "@tensorflow/tfjs";

/**
 * The width D of the representation h that an encoder outputs as `[N, D]`.
 *
 * Works for any single-output `tf.LayersModel` with a rank-2 output of known width, so a
 * user's own Keras-style encoder can be used wherever the library needs D (for example to size
 * a projection head).
 *
 * @param model An encoder.
 * @returns D, the last dimension of the model's output.
 * @throws {TypeError} If the model does not have exactly one output of shape `[N, D]` with a
 *   known D.
 *
 * @example
 * ```ts
 * import { representationDim, smallConvNet } from "@selfsup/encoders";
 *
 * const encoder = smallConvNet({ inputShape: [28, 28, 1], filters: [8, 16], seed: 0 });
 * console.log(representationDim(encoder)); // 16
 * encoder.dispose();
 * ```
 */
export function representationDim(model: tf.LayersModel): number {
  const outputs = model?.outputs;
  if (!Array.isArray(outputs) || outputs.length !== 1) {
    throw new TypeError(
      `representationDim(): model must have exactly one output, got ${
        Array.isArray(outputs) ? outputs.length : String(outputs)
      }`,
    );
  }
  const shape = outputs[0].shape;
  const d = shape[1];
  if (shape.length !== 2 || typeof d !== "number") {
    throw new TypeError(
      `representationDim(): model output must have shape [N, D] with a known D, got ${
        JSON.stringify(shape)
      }`,
    );
  }
  return d;
}
