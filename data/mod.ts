/**
 * Datasets for self-supervised learning as uint8 NHWC arrays: in-memory datasets, a seeded
 * shuffling batch iterator, class-stratified labelled subsets (the 1% / 10% label splits),
 * IDX encoding and PNG / JPEG decoding. Pixels stay uint8 until {@linkcode toImageTensor}
 * turns a batch into a float32 tensor in [0, 1].
 *
 * This entry point never touches the file system, so it runs in Deno, Node and browsers.
 * The file loaders (embedded Fashion-MNIST, IDX files, image folders) are in
 * `@selfsup/data/files`.
 *
 * ```ts
 * import { batches, classCounts, fromArrays, labelledSubset, toImageTensor } from "@selfsup/data";
 * import assert from "node:assert/strict";
 *
 * const images = new Uint8Array(20 * 4 * 4).map((_, i) => i % 256);
 * const labels = Array.from({ length: 20 }, (_, i) => i % 2);
 * const ds = fromArrays(images, [20, 4, 4, 1], { labels });
 * const tenPercent = labelledSubset(ds, { fraction: 0.1, seed: 0 });
 * assert.deepEqual(classCounts(tenPercent), [1, 1]); // one image per class
 * let count = 0;
 * for (const batch of batches(ds, { batchSize: 8, seed: 0, dropLast: true })) {
 *   const x = toImageTensor(batch);
 *   assert.deepEqual(x.shape, [8, 4, 4, 1]); // float32 in [0, 1]
 *   x.dispose();
 *   count++;
 * }
 * assert.equal(count, 2);
 * ```
 *
 * @module
 */

export * from "./batches.ts";
export * from "./dataset.ts";
export * from "./decode_image.ts";
export * from "./fashion_mnist_classes.ts";
export * from "./idx.ts";
export * from "./labelled_subset.ts";
export * from "./to_tensor.ts";
