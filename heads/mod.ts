/**
 * Heads that sit on an encoder's representation h `[N, D]`, as `tf.LayersModel`s: SimCLR's
 * 2-layer and SimCLRv2's 3-layer projection heads (and the linear / identity heads of the
 * ablation), the model made of a head's first k layers, BYOL's projector and predictor, and a
 * linear classifier. Runtime-agnostic (browser, Node, Deno). Their batch norms are the fused
 * `batchNormalization` layer of `@selfsup/encoders` (one kernel per direction in training on
 * a backend that has one), which saves and loads as tfjs's own layer.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { headUpTo, linearClassifier, projectionHead } from "@selfsup/heads";
 * import assert from "node:assert/strict";
 *
 * const head = projectionHead({ inputDim: 32, outputDim: 16, layers: 3, seed: 0 });
 * const trunk = headUpTo(head, 1); // SimCLRv2 fine-tunes from here
 * const classifier = linearClassifier({ inputDim: 32, numClasses: 10, seed: 1 });
 * const h = tf.randomNormal([4, 32], 0, 1, "float32", 2);
 * const logits = tf.tidy(() => classifier.apply(trunk.apply(h)) as tf.Tensor);
 * assert.deepEqual(logits.shape, [4, 10]);
 * tf.dispose([h, logits]);
 * head.dispose();
 * classifier.dispose();
 * ```
 *
 * @module
 */
export * from "./projection_head.ts";
export * from "./head_up_to.ts";
export * from "./byol_projector.ts";
export * from "./byol_predictor.ts";
export * from "./linear_classifier.ts";
