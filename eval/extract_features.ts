import * as tf from "@tensorflow/tfjs";
import { type Dataset, toImageTensor } from "@selfsup/data";
import { checkInteger, checkOptions, checkTensor, typeError } from "@selfsup/internal";

/**
 * A frozen encoder: a `tf.LayersModel` (run with `predict`, i.e. in inference mode, so batch
 * normalisation uses its moving statistics), or a function from images to features. A
 * function's intermediate tensors are tidied; it must not dispose its input.
 */
export type Encoder = tf.LayersModel | ((images: tf.Tensor4D) => tf.Tensor);

/** Options of {@linkcode extractFeatures}. */
export interface ExtractFeaturesOptions {
  /** Images per forward pass (default 256). */
  batchSize?: number;
}

/**
 * Computes the features of every image once, in order, with a frozen encoder.
 *
 * A `Dataset` (uint8) is converted batch by batch to float32 in [0, 1]; a tensor is passed
 * through as it is. Outputs of any rank are flattened to `[N, D]`. Each batch's output is
 * read back before the next batch runs, so only one batch of activations is alive at a time.
 *
 * @param encoder The encoder, see {@linkcode Encoder}.
 * @param images A dataset from `@selfsup/data`, or an `[N, H, W, C]` float tensor.
 * @param options Batch size.
 * @returns `[N, D]` float32 features that the caller disposes.
 * @throws {TypeError} If `encoder` is not a model or function, or `images` is neither a
 *   dataset nor a rank-4 tensor.
 * @throws {RangeError} If `batchSize` is not a positive integer.
 *
 * @example Raw pixels as features
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { fromArrays } from "@selfsup/data";
 * import { extractFeatures } from "@selfsup/eval";
 * import assert from "node:assert/strict";
 *
 * const ds = fromArrays(new Uint8Array([0, 255, 255, 0]), [2, 1, 2, 1]);
 * const features = await extractFeatures((x) => x, ds);
 * assert.deepEqual(features.arraySync(), [[0, 1], [1, 0]]);
 * features.dispose();
 * ```
 */
export async function extractFeatures(
  encoder: Encoder,
  images: Dataset | tf.Tensor4D,
  options: ExtractFeaturesOptions = {},
): Promise<tf.Tensor2D> {
  const fn = "extractFeatures";
  if (typeof encoder !== "function" && !(encoder instanceof tf.LayersModel)) {
    throw typeError(fn, "encoder", "a tf.LayersModel or a function", encoder);
  }
  const isDataset = !(images instanceof tf.Tensor);
  if (isDataset) checkDataset(fn, images);
  else checkTensor(fn, "images", images, { rank: 4, layout: "[N, H, W, C]" });
  checkOptions(fn, options);
  const batchSize = checkInteger(fn, "batchSize", options.batchSize ?? 256, { min: 1 });
  const n = images.shape[0];
  const run = typeof encoder === "function"
    ? encoder
    : (x: tf.Tensor4D) => encoder.predict(x, { batchSize }) as tf.Tensor;
  let out: Float32Array | undefined;
  let dim = 0;
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const features = tf.tidy(() => {
      const x = batchAt(images, start, size);
      return tf.reshape(run(x), [size, -1]).asType("float32") as tf.Tensor2D;
    });
    const values = await features.data<"float32">();
    if (out === undefined) {
      dim = features.shape[1];
      out = new Float32Array(n * dim);
    }
    features.dispose();
    out.set(values, start * dim);
  }
  return tf.tensor2d(out ?? new Float32Array(0), [n, dim]);
}

function batchAt(images: Dataset | tf.Tensor4D, start: number, size: number): tf.Tensor4D {
  if (images instanceof tf.Tensor) return images.slice([start, 0, 0, 0], [size, -1, -1, -1]);
  const [, h, w, c] = images.shape;
  const pixels = h * w * c;
  return toImageTensor({
    images: images.images.subarray(start * pixels, (start + size) * pixels),
    shape: [size, h, w, c],
  });
}

// The parts of a dataset this function reads; the dataset's own checks are `@selfsup/data`'s.
function checkDataset(fn: string, value: unknown): void {
  const ds = value as Dataset | null;
  const ok = typeof ds === "object" && ds !== null && ds.images instanceof Uint8Array &&
    Array.isArray(ds.shape) && ds.shape.length === 4 &&
    ds.images.length === ds.shape.reduce((a, b) => a * b, 1);
  if (!ok) throw typeError(fn, "images", "a dataset of @selfsup/data or a rank-4 tensor", value);
}
