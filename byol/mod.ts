/**
 * BYOL pretraining (Grill et al. 2020, "Bootstrap Your Own Latent", arXiv:2006.07733) for
 * TensorFlow.js, as a step function a caller drives from its own loop: {@linkcode byolLearner}
 * (online and target networks, the symmetrised BYOL loss, LARS on warmup + cosine, the target
 * EMA on a cosine tau schedule, state to save and restore), and its parts on their own:
 * {@linkcode emaUpdate} (the target update) and {@linkcode copyModel} (the target's start).
 *
 * Runtime-agnostic: TensorFlow.js only, no file system.
 *
 * @example Three steps on random images with a tiny encoder
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { byolLearner } from "@selfsup/byol";
 * import { smallConvNet } from "@selfsup/encoders";
 * import { byolPredictor, byolProjector } from "@selfsup/heads";
 *
 * const encoder = smallConvNet({ inputShape: [16, 16, 1], filters: [4], seed: 1 });
 * const projector = byolProjector({ inputDim: 4, hiddenDim: 16, outputDim: 8, seed: 1 });
 * const predictor = byolPredictor({ inputDim: 8, hiddenDim: 16, outputDim: 8, seed: 1 });
 * const learner = byolLearner({ encoder, projector, predictor, seed: 0, batchSize: 8, totalSteps: 3 });
 * const images = tf.randomUniform([8, 16, 16, 1], 0, 1, "float32", 2) as tf.Tensor4D;
 * for (let step = 0; step < 3; step++) {
 *   const { loss, tau } = await learner.step(images);
 *   assert.ok(Number.isFinite(loss) && tau >= 0.996 && tau <= 1);
 * }
 * assert.equal(learner.steps, 3);
 * images.dispose();
 * learner.dispose();
 * [encoder, projector, predictor].forEach((model) => model.dispose());
 * ```
 *
 * @module
 */
export * from "./byol_learner.ts";
export * from "./copy_model.ts";
export * from "./ema_update.ts";
