import type { Dataset } from "./dataset.ts";
import { checkDataset } from "./_validate.ts";
import { batchRanges, checkBatchOptions } from "./_batch_order.ts";
import { pick } from "./_pick.ts";

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
  /**
   * Epoch number, an integer in [0, 2^32 - 1], mixed into the seed so that each epoch has its
   * own order (default 0).
   */
  epoch?: number;
  /** Skip the last, smaller batch (default false). */
  dropLast?: boolean;
}

/**
 * Iterates over a dataset in batches, in a seeded shuffled order.
 *
 * One call walks one epoch: every image appears exactly once (or not at all if it falls in
 * a dropped last batch). The same `seed` and `epoch` always give the same order, on every
 * runtime, and the same order as epoch `epoch` of `linearProbe` in `@selfsup/eval` with that
 * seed; change `epoch` to get a fresh order for the next pass. Each batch copies its pixels,
 * so the caller may keep or modify it.
 *
 * The options are checked when `batches()` is called, before the first batch is asked for.
 *
 * @param dataset The images (and labels) to iterate over.
 * @param options Batch size, shuffling, seed, epoch and drop-last.
 * @returns A generator of batches, `ceil(N / batchSize)` of them (`floor` with `dropLast`).
 * @throws {TypeError} If `dataset` is not a dataset, an option has the wrong type, or `seed`
 *   is missing while `shuffle` is true.
 * @throws {RangeError} If `batchSize` is not a positive integer, `seed` not a safe integer or
 *   `epoch` not an integer in [0, 2^32 - 1].
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
export function batches(dataset: Dataset, options: BatchesOptions): Generator<Batch> {
  const fn = "batches";
  checkDataset(fn, "dataset", dataset);
  const plan = checkBatchOptions(fn, options);
  const n = dataset.shape[0];
  const order = plan.order(n);
  return (function* () {
    for (const [start, end] of batchRanges(n, plan)) {
      const indices = order.slice(start, end);
      yield { ...pick(fn, dataset, indices), indices };
    }
  })();
}
