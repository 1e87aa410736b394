/**
 * Batched, seeded image augmentations for self-supervised learning on TensorFlow.js, and the
 * SimCLR / BYOL view presets. Every transform works on a whole `[N, H, W, C]` float32 batch in
 * [0, 1] (C = 1 or 3) with tensor ops on the active backend; each image draws its own random
 * parameters from an explicit integer seed, so the same seed gives the same views.
 *
 * @example Two SimCLR views of a batch
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { simclrViews } from "@selfsup/augment";
 *
 * const images = tf.randomUniform([8, 32, 32, 3], 0, 1, "float32", 1) as tf.Tensor4D;
 * const [view1, view2] = simclrViews(images, { seed: 42, size: 32 });
 * console.log(view1.shape, view2.shape); // [8, 32, 32, 3] twice
 * tf.dispose([images, view1, view2]);
 * ```
 *
 * @module
 */
export * from "./adjust_color.ts";
export * from "./color_jitter.ts";
export * from "./flip.ts";
export * from "./gaussian_blur.ts";
export * from "./grayscale.ts";
export * from "./normalize.ts";
export * from "./random_resized_crop.ts";
export * from "./solarize.ts";
export * from "./views.ts";
