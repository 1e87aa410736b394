import { rangeError } from "@selfsup/internal";
import type { Dataset } from "./dataset.ts";

/**
 * `selectImages()` for a dataset and indices already checked, naming `fn` in the
 * error for an index out of range.
 */
export function pick(fn: string, dataset: Dataset, indices: ArrayLike<number>): Dataset {
  const [n, h, w, c] = dataset.shape;
  const size = h * w * c;
  const images = new Uint8Array(indices.length * size);
  const labels = dataset.labels ? new Int32Array(indices.length) : undefined;
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i];
    if (!Number.isInteger(index) || index < 0 || index >= n) {
      throw rangeError(fn, `indices[${i}]`, `an integer in [0, ${n})`, index);
    }
    images.set(dataset.images.subarray(index * size, (index + 1) * size), i * size);
    if (labels) labels[i] = dataset.labels![index];
  }
  return { images, shape: [indices.length, h, w, c], labels, classNames: dataset.classNames };
}
