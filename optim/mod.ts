/**
 * Optimisation for self-supervised learning: the LARS optimizer of SimCLR, the linear-warmup +
 * cosine-decay learning-rate schedule, SimCLR's batch-size scaling rules, and BYOL's cosine
 * schedule for the target network's momentum.
 *
 * Runtime-agnostic: TensorFlow.js only, no file system.
 *
 * @example One LARS step on a schedule
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { cosineMomentum, lars, linearScaledLr, warmupCosine } from "@selfsup/optim";
 * import assert from "node:assert/strict";
 *
 * const baseLr = linearScaledLr(0.3, 512); // 0.6
 * const schedule = warmupCosine({ baseLr, warmupSteps: 10, totalSteps: 100 });
 * const tau = cosineMomentum({ totalSteps: 100 });
 * assert.equal(schedule(10), 0.6);
 * assert.equal(tau(0), 0.996);
 *
 * const w = tf.tidy(() => tf.variable(tf.tensor1d([1, 2, 3]), true, "mod_example/kernel"));
 * const optimizer = lars({ learningRate: schedule(1), weightDecay: 1e-6 });
 * optimizer.minimize(() => tf.sum(tf.square(w)), false, [w]);
 * assert.equal(optimizer.iterations, 1);
 * w.dispose();
 * optimizer.dispose();
 * ```
 *
 * @module
 */
export * from "./cosine_momentum.ts";
export * from "./lars.ts";
export * from "./lr_scaling.ts";
export * from "./set_learning_rate.ts";
export * from "./warmup_cosine.ts";
