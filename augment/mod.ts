/**
 * Batched, seeded image augmentations for self-supervised learning on TensorFlow.js, and the
 * SimCLR / BYOL view presets. Every transform works on a whole `[N, H, W, C]` float32 batch in
 * [0, 1] (C = 1 or 3) with tensor ops on the active backend; each image draws its own random
 * parameters from an explicit integer `seed` option, so the same seed gives the same views.
 * {@linkcode deriveSeed} gives a training loop one seed per step from its run seed.
 *
 * The [0, 1] check reads the images back (a GPU round trip on webgpu and webgl): it is on by
 * default, and a training step passes `checkValues: false`.
 *
 * @example Two SimCLR views per training step
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { deriveSeed, simclrViews } from "@selfsup/augment";
 * import assert from "node:assert/strict";
 *
 * const runSeed = 42;
 * const images = tf.randomUniform([8, 32, 32, 3], 0, 1, "float32", 1) as tf.Tensor4D;
 * for (let step = 0; step < 2; step++) {
 *   const seed = deriveSeed(runSeed, step);
 *   const [view1, view2] = simclrViews(images, { seed, size: 24, checkValues: false });
 *   assert.deepEqual(view1.shape, [8, 24, 24, 3]);
 *   assert.deepEqual(view2.shape, [8, 24, 24, 3]);
 *   tf.dispose([view1, view2]);
 * }
 * tf.dispose(images);
 * ```
 *
 * @module
 */
export * from "./adjust_color.ts";
export * from "./color_jitter.ts";
export * from "./cutout.ts";
export * from "./derive_seed.ts";
export * from "./flip.ts";
export * from "./gaussian_blur.ts";
export * from "./gaussian_noise.ts";
export * from "./grayscale.ts";
export * from "./kernel_names.ts";
export * from "./normalize.ts";
export * from "./random_resized_crop.ts";
export * from "./random_rotation.ts";
export * from "./sobel_filter.ts";
export * from "./solarize.ts";
export * from "./value_check_options.ts";
export * from "./views.ts";
