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
 * import { batches, fromArrays, labelledSubset, toImageTensor } from "@selfsup/data";
 *
 * const images = new Uint8Array(20 * 4 * 4).map((_, i) => i % 256);
 * const labels = Array.from({ length: 20 }, (_, i) => i % 2);
 * const ds = fromArrays(images, [20, 4, 4, 1], { labels });
 * const tenPercent = labelledSubset(ds, 0.1, 0); // one image per class
 * for (const batch of batches(ds, { batchSize: 8, seed: 0, dropLast: true })) {
 *   const x = toImageTensor(batch); // [8, 4, 4, 1] float32 in [0, 1]
 *   x.dispose();
 * }
 * console.log(tenPercent.shape);
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
