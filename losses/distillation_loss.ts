import * as tf from "@tensorflow/tfjs";
import { stopGradient } from "./_stop_gradient.ts";
import {
  checkFinite,
  checkMatrix,
  checkSameShape,
  checkTemperature,
  checkValueOption,
} from "./_validate.ts";
import type { ValueCheckOptions } from "./value_check_options.ts";

/**
 * Options for {@linkcode distillationLoss}.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { distillationLoss, type DistillationLossOptions } from "@selfsup/losses";
 *
 * const options: DistillationLossOptions = { temperature: 2, checkValues: false };
 * const logits = tf.zeros([1, 2]); // uniform: T^2 log 2
 * const loss = distillationLoss(logits, logits, options);
 * assert.ok(Math.abs(loss.dataSync()[0] - 4 * Math.log(2)) < 1e-6);
 * tf.dispose([logits, loss]);
 * ```
 */
export interface DistillationLossOptions extends ValueCheckOptions {
  /** Temperature T that softens both distributions, a finite number > 0. Default 1. */
  temperature?: number;
}

/**
 * Knowledge-distillation loss: cross-entropy of the student's tempered softmax against the
 * teacher's, scaled by T^2, averaged over the batch.
 *
 * From "Distilling the Knowledge in a Neural Network" (Hinton et al., 2015, arXiv:1503.02531),
 * as used for SimCLRv2's self-distillation on unlabelled data ("Big Self-Supervised Models are
 * Strong Semi-Supervised Learners", Chen et al., 2020, arXiv:2006.10029, equation 2):
 * loss = T^2 * mean_i sum_k -softmax(t_i / T)_k * log softmax(s_i / T)_k.
 * The T^2 factor (Hinton et al.) keeps the size of the student's gradients about the same as
 * the temperature changes. The teacher is a constant: the gradient with respect to
 * `teacherLogits` is exactly zero.
 *
 * Convention: the cross-entropy, not the KL divergence; the two differ by the teacher's
 * entropy, which does not depend on the student, so they have the same gradients. The minimum
 * over the student, reached when the student's logits equal the teacher's (up to a constant
 * per row), is therefore T^2 times the mean entropy of the teacher's tempered softmax.
 *
 * Unless `checkValues` is false, the inputs are read back once (a two-element flag vector) to
 * reject NaN and infinities. That read is a GPU round-trip: training steps pass
 * `{ checkValues: false }` (see {@linkcode ValueCheckOptions}).
 *
 * @param studentLogits Logits of the student, float32 [N, K] with N, K >= 1.
 * @param teacherLogits Logits of the teacher, float32 [N, K].
 * @param options The temperature (default 1) and whether to check values (default true).
 * @returns A float32 scalar that the caller disposes. Gradients flow into `studentLogits` only.
 * @throws {TypeError} If a logits argument is not a float32 rank-2 tensor, or an option has
 * the wrong type.
 * @throws {RangeError} If the logits have no rows or columns, the shapes differ, the
 * temperature is not a finite number > 0, or (when checked) a value is NaN or infinite.
 *
 * @example Equal logits give the teacher's entropy
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { distillationLoss } from "@selfsup/losses";
 *
 * const logits = tf.zeros([2, 4]); // a uniform teacher: entropy log(4)
 * const loss = distillationLoss(logits, logits, { temperature: 2 });
 * assert.ok(Math.abs(loss.dataSync()[0] - 4 * Math.log(4)) < 1e-5);
 * tf.dispose([logits, loss]);
 * ```
 */
export function distillationLoss(
  studentLogits: tf.Tensor,
  teacherLogits: tf.Tensor,
  options: DistillationLossOptions = {},
): tf.Scalar {
  const fn = "distillationLoss";
  checkMatrix(fn, "studentLogits", studentLogits, "[N, K]", 1);
  checkMatrix(fn, "teacherLogits", teacherLogits, "[N, K]", 1);
  checkSameShape(fn, "studentLogits", studentLogits, "teacherLogits", teacherLogits);
  const checkValues = checkValueOption(fn, options);
  const temperature = checkTemperature(fn, options.temperature, 1);
  if (checkValues) checkFinite(fn, { studentLogits, teacherLogits });

  return tf.tidy(() => {
    const target = tf.softmax(tf.div(stopGradient(teacherLogits), temperature)); // [N, K]
    const logProbs = tf.logSoftmax(tf.div(studentLogits, temperature)); // [N, K]
    const perExample = tf.neg(tf.sum(tf.mul(target, logProbs), 1)); // [N]
    return tf.mul(tf.mean(perExample), temperature * temperature) as tf.Scalar;
  });
}
