import * as tf from "@tensorflow/tfjs";
import { checkNumber, typeError } from "@selfsup/internal";

/**
 * Sets the learning rate of any TensorFlow.js optimizer for its next step.
 *
 * tfjs's `sgd` and `momentum` optimizers keep their rate in a scalar made at construction:
 * assigning `optimizer.learningRate` silently keeps the old rate, and only their
 * `setLearningRate()` changes it. Adam, RMSProp, Adagrad, Adadelta, Adamax and
 * {@linkcode LarsOptimizer} read the plain `learningRate` field at every step. This function
 * does the right thing for each, so a loop can follow a schedule with any optimizer.
 *
 * @param optimizer A `tf.Optimizer` with a learning rate.
 * @param value The rate of the next step: a finite number >= 0.
 * @throws {TypeError} If `optimizer` is not a tf.Optimizer with a learning rate.
 * @throws {RangeError} If `value` is negative or not finite.
 *
 * @example Following a schedule with tfjs's momentum optimizer
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { setLearningRate } from "@selfsup/optim";
 * import assert from "node:assert/strict";
 *
 * const w = tf.variable(tf.scalar(1));
 * const optimizer = tf.train.momentum(1, 0);
 * setLearningRate(optimizer, 0.5);
 * optimizer.minimize(() => tf.mul(w, 2) as tf.Scalar); // d/dw = 2, so w <- 1 - 0.5 * 2
 * assert.equal(w.dataSync()[0], 0);
 * tf.dispose([w]);
 * optimizer.dispose();
 * ```
 */
export function setLearningRate(optimizer: tf.Optimizer, value: number): void {
  const fn = "setLearningRate";
  if (!(optimizer instanceof tf.Optimizer)) {
    throw typeError(fn, "optimizer", "a tf.Optimizer", optimizer);
  }
  checkNumber(fn, "value", value, { min: 0 });
  const withSetter = optimizer as unknown as { setLearningRate?: (lr: number) => void };
  if (typeof withSetter.setLearningRate === "function") {
    withSetter.setLearningRate(value);
    return;
  }
  const withField = optimizer as unknown as { learningRate?: unknown };
  if (typeof withField.learningRate !== "number") {
    throw typeError(fn, "optimizer", "an optimizer with a numeric learningRate", optimizer);
  }
  withField.learningRate = value;
}
