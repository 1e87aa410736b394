import type * as tf from "@tensorflow/tfjs";
import { describe } from "@selfsup/internal";

const WHAT = "a model with one output of shape [N, D] and a known D";

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
 * import assert from "node:assert/strict";
 *
 * const encoder = smallConvNet({ inputShape: [28, 28, 1], filters: [8, 16], seed: 0 });
 * assert.equal(representationDim(encoder), 16);
 * encoder.dispose();
 * ```
 */
export function representationDim(model: tf.LayersModel): number {
  const outputs = (model as { outputs?: unknown } | null | undefined)?.outputs;
  if (!Array.isArray(outputs)) {
    throw new TypeError(`representationDim(): model must be ${WHAT}, got ${describe(model)}`);
  }
  if (outputs.length !== 1) {
    throw new TypeError(
      `representationDim(): model must be ${WHAT}, got a model with ${outputs.length} outputs`,
    );
  }
  const shape = (outputs[0] as tf.SymbolicTensor).shape;
  const d = shape[1];
  if (shape.length !== 2 || typeof d !== "number") {
    throw new TypeError(
      `representationDim(): model must be ${WHAT}, got a model whose output has shape ` +
        `[${shape.map((s) => s ?? "null").join(", ")}]`,
    );
  }
  return d;
}
