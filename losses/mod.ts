/**
 * Loss functions for self-supervised visual representation learning, on TensorFlow.js
 * tensors: SimCLR's NT-Xent, BYOL's normalised regression loss, SimCLRv2's distillation loss
 * and plain softmax cross-entropy for integer labels. Each takes tensors, checks its arguments
 * and returns a scalar tensor that the caller disposes; intermediate tensors are tidied.
 *
 * Each loss also reads its inputs back once to reject NaN and infinities: a GPU round-trip.
 * Training steps pass `{ checkValues: false }` to skip it (see {@linkcode ValueCheckOptions}).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { ntXent } from "@selfsup/losses";
 *
 * const z1 = tf.randomNormal([8, 32], 0, 1, "float32", 1); // projections of view 1
 * const z2 = tf.randomNormal([8, 32], 0, 1, "float32", 2); // projections of view 2
 * const loss = ntXent(z1, z2, { temperature: 0.5 });
 * // Random 32-dimensional views are nearly orthogonal: close to log(2N - 1), chance level.
 * assert.ok(Math.abs(loss.dataSync()[0] - Math.log(15)) < 0.5);
 * tf.dispose([z1, z2, loss]);
 * ```
 *
 * @module
 */

export * from "./nt_xent.ts";
export * from "./byol_loss.ts";
export * from "./distillation_loss.ts";
export * from "./cross_entropy.ts";
export * from "./value_check_options.ts";
