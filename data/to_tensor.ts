import * as tf from "@tensorflow/tfjs";
import type { Dataset } from "./dataset.ts";
import { checkDataset, requireLabels } from "./_validate.ts";

/**
 * Converts a dataset's (or batch's) uint8 pixels to a float32 NHWC tensor in [0, 1], the
 * form every model in selfsup takes.
 *
 * @param dataset The images to convert.
 * @returns A `[N, H, W, C]` float32 tensor that the caller disposes.
 * @throws {TypeError} If `dataset` is not a dataset.
 *
 * @example
 * ```ts
 * import { fromArrays, toImageTensor } from "@selfsup/data";
 * import assert from "node:assert/strict";
 *
 * const x = toImageTensor(fromArrays(new Uint8Array([0, 255]), [1, 1, 2, 1]));
 * assert.deepEqual(x.shape, [1, 1, 2, 1]);
 * assert.deepEqual([...x.dataSync()], [0, 1]);
 * x.dispose();
 * ```
 */
export function toImageTensor(dataset: Dataset): tf.Tensor4D {
  const [n, h, w, c] = checkDataset("toImageTensor", "dataset", dataset).shape;
  // Scale in JS rather than on the backend: one float32 upload instead of an int32 upload
  // plus a cast and a division.
  const pixels = new Float32Array(dataset.images.length);
  for (let i = 0; i < pixels.length; i++) pixels[i] = dataset.images[i] / 255;
  return tf.tensor4d(pixels, [n, h, w, c], "float32");
}

/**
 * Returns a dataset's labels as an int32 tensor.
 *
 * @param dataset A labelled dataset.
 * @returns A `[N]` int32 tensor that the caller disposes.
 * @throws {TypeError} If `dataset` is not a dataset or has no labels.
 *
 * @example
 * ```ts
 * import { fromArrays, toLabelTensor } from "@selfsup/data";
 * import assert from "node:assert/strict";
 *
 * const y = toLabelTensor(fromArrays(new Uint8Array(2), [2, 1, 1, 1], { labels: [1, 0] }));
 * assert.deepEqual([...y.dataSync()], [1, 0]);
 * y.dispose();
 * ```
 */
export function toLabelTensor(dataset: Dataset): tf.Tensor1D {
  const fn = "toLabelTensor";
  return tf.tensor1d(requireLabels(fn, "dataset", checkDataset(fn, "dataset", dataset)), "int32");
}
