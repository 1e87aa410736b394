/**
 * The ten Fashion-MNIST class names, indexed by label (Xiao, Rasul and Vollgraf 2017,
 * arXiv:1708.07747).
 *
 * @example
 * ```ts
 * import { FASHION_MNIST_CLASSES } from "@selfsup/data";
 * import assert from "node:assert/strict";
 *
 * assert.equal(FASHION_MNIST_CLASSES[9], "Ankle boot");
 * ```
 */
export const FASHION_MNIST_CLASSES: readonly string[] = Object.freeze([
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
]);
