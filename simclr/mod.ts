/**
 * SimCLR and SimCLRv2 pretraining as a step function for your own loop: two views of each
 * image, encoder and projection head on all 2N views as one batch, NT-Xent, one optimizer
 * update, and plain numbers back (loss, learning rate, positive / negative cosine,
 * contrastive accuracy). State saves to plain data and restores bit-identically.
 *
 * SimCLR: Chen et al. 2020, arXiv:2002.05709; SimCLRv2: Chen et al. 2020, arXiv:2006.10029.
 *
 * @example A few steps on random 8x8 images
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { smallConvNet } from "@selfsup/encoders";
 * import { simclrLearner } from "@selfsup/simclr";
 *
 * const encoder = smallConvNet({ inputShape: [8, 8, 1], filters: [8], seed: 1 });
 * const learner = simclrLearner({ encoder, seed: 42, batchSize: 8, totalSteps: 3 });
 * const images = tf.randomUniform([8, 8, 8, 1], 0, 1, "float32", 3) as tf.Tensor4D;
 * for (let i = 0; i < 3; i++) {
 *   const { step, loss, learningRate } = await learner.step(images);
 *   assert.equal(step, i);
 *   assert.ok(Number.isFinite(loss) && learningRate >= 0);
 * }
 * images.dispose();
 * learner.dispose();
 * encoder.dispose();
 * ```
 *
 * @module
 */
export * from "./simclr_learner.ts";
