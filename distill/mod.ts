/**
 * SimCLRv2's semi-supervised stages ("Big Self-Supervised Models are Strong Semi-Supervised
 * Learners", Chen et al. 2020, arXiv:2006.10029) as steps a loop drives: fine-tune a pretrained
 * encoder and the first layers of its projection head on a few labels
 * ({@linkcode fineTuneLearner}), label unlabelled images with the fine-tuned teacher's
 * temperature-softened probabilities ({@linkcode teacherLabels},
 * {@linkcode teacherLabelBatches}), and distil the teacher into a student of the same or a
 * smaller size ({@linkcode distillLearner}). {@linkcode classifierModel} builds the networks:
 * encoder -> head up to layer k -> linear layer. Runtime-agnostic (Deno, Node, browsers).
 *
 * @example Fine-tune, then distil into a smaller student
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { classifierModel, distillLearner, fineTuneLearner } from "@selfsup/distill";
 * import { smallConvNet } from "@selfsup/encoders";
 * import { projectionHead } from "@selfsup/heads";
 *
 * const encoder = smallConvNet({ inputShape: [8, 8, 1], filters: [4, 8], seed: 1 });
 * const head = projectionHead({ inputDim: 8, outputDim: 4, layers: 3, seed: 2 });
 * const images = tf.randomUniform([6, 8, 8, 1], 0, 1, "float32", 3) as tf.Tensor4D;
 * const labels = [0, 1, 2, 0, 1, 2];
 *
 * const fineTune = fineTuneLearner({ encoder, head, numClasses: 3, seed: 4, learningRate: 0.1 });
 * await fineTune.step(images, { labels });
 * const teacher = fineTune.model; // encoder -> head layer 1 -> linear
 *
 * const small = smallConvNet({ inputShape: [8, 8, 1], filters: [4], seed: 5 });
 * const student = classifierModel({ encoder: small, numClasses: 3, seed: 6 });
 * const distill = distillLearner({ teacher, student, seed: 7, learningRate: 0.1 });
 * const { distillationLoss } = await distill.step(images);
 * assert.ok(distillationLoss > 0);
 *
 * images.dispose();
 * for (const learner of [fineTune, distill]) learner.dispose();
 * for (const model of [teacher, student, encoder, head, small]) model.dispose();
 * ```
 *
 * @module
 */
export * from "./classifier_model.ts";
export * from "./fine_tune_learner.ts";
export * from "./teacher_labels.ts";
export * from "./distill_learner.ts";
