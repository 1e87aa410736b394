import { type Dataset, selectImages } from "./dataset.ts";
import { checkSeed, mixSeed, permutation } from "./_random.ts";

/** A batch from {@linkcode batches}: a small dataset plus where its images came from. */
export interface Batch extends Dataset {
  /** Index in the source dataset of each image of the batch. */
  readonly indices: Int32Array;
}

/** Options of {@linkcode batches}. */
export interface BatchesOptions {
  /** Images per batch, a positive integer. */
  batchSize: number;
  /** Shuffle the order (default true). When false the order is 0..N-1. */
  shuffle?: boolean;
  /** Integer seed of the shuffle; required when shuffling. */
  seed?: number;
  /** Epoch number, mixed into the seed so that each epoch has its own order (default 0). */
  epoch?: number;
  /** Skip the last, smaller batch (default false). */
  dropLast?: boolean;
}

/**
 * Iterates over a dataset in batches, in a seeded shuffled order.
 *
 * One call walks one epoch: every image appears exactly once (or not at all if it falls in
 * a dropped last batch). The same `seed` and `epoch` always give the same order; change
 * `epoch` to get a fresh order for the next pass. Each batch copies its pixels, so the
 * caller may keep or modify it.
 *
 * @param dataset The images (and labels) to iterate over.
 * @param options Batch size, shuffling, seed, epoch and drop-last.
 * @returns A generator of batches, `ceil(N / batchSize)` of them (`floor` with `dropLast`).
 * @throws {RangeError} If `batchSize` is not a positive integer, or `seed` / `epoch` is not
 *   an integer (a seed is required when `shuffle` is true).
 *
 * @example Shuffled batches of 4 out of 10 images, dropping the last 2
 * ```ts
 * import { batches, fromArrays } from "@selfsup/data";
 * import assert from "node:assert/strict";
 *
 * const ds = fromArrays(new Uint8Array(10).map((_, i) => i), [10, 1, 1, 1]);
 * const seen = [];
 * for (const batch of batches(ds, { batchSize: 4, seed: 42, dropLast: true })) {
 *   assert.deepEqual(batch.shape, [4, 1, 1, 1]);
 *   seen.push(...batch.images);
 * }
 * assert.equal(seen.length, 8);
 * assert.equal(new Set(seen).size, 8);
 * ```
 */
export function* batches(dataset: Dataset, options: BatchesOptions): Generator<Batch> {
  const { batchSize, shuffle = true, seed, epoch = 0, dropLast = false } = options;
  if (!Number.isInteger(batchSize) || batchSize <= 0) {
    throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  }
  checkSeed(epoch, "epoch");
  const n = dataset.shape[0];
  let order: Int32Array;
  if (shuffle) {
    if (seed === undefined) {
      throw new RangeError("seed must be given when shuffle is true, got undefined");
    }
    checkSeed(seed);
    order = permutation(n, mixSeed(seed, epoch));
  } else {
    order = new Int32Array(n).map((_, i) => i);
  }
  const end = dropLast ? n - (n % batchSize) : n;
  for (let start = 0; start < end; start += batchSize) {
    const indices = order.slice(start, Math.min(start + batchSize, end));
    yield { ...selectImages(dataset, indices), indices };
  }
}
