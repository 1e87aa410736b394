// The batch options shared by `batches()` and `imageFolderBatches()`, checked when the
// generator is called (not at its first `next()`), and the order they give.
import {
  checkBoolean,
  checkInteger,
  checkOptions,
  checkSeed,
  deriveSeed,
  permutation,
  typeError,
} from "@selfsup/internal";

/** The largest epoch: epochs are hashed into the seed as 32-bit words. */
export const MAX_EPOCH = 2 ** 32 - 1;

/** The fields of the batch options that decide the order and the batch boundaries. */
export interface BatchOrderOptions {
  batchSize: number;
  shuffle?: boolean;
  seed?: number;
  epoch?: number;
  dropLast?: boolean;
}

/** Checked batch options: the batch size, and the order of `n` items for one epoch. */
export interface BatchPlan {
  readonly batchSize: number;
  readonly dropLast: boolean;
  /** The epoch's order of `n` items. */
  order(n: number): Int32Array;
}

/**
 * Checks the batch options of `fn`. Epoch `e` of seed `s` visits the items in the order
 * `permutation(n, deriveSeed(s, e))` of `@selfsup/internal`: the order `linearProbe` of
 * `@selfsup/eval` uses for its epochs too.
 */
export function checkBatchOptions(fn: string, options: BatchOrderOptions): BatchPlan {
  checkOptions(fn, options);
  const batchSize = checkInteger(fn, "batchSize", options.batchSize, { min: 1 });
  const shuffle = checkBoolean(fn, "shuffle", options.shuffle ?? true);
  const epoch = checkInteger(fn, "epoch", options.epoch ?? 0, { min: 0, max: MAX_EPOCH });
  const dropLast = checkBoolean(fn, "dropLast", options.dropLast ?? false);
  let seed: number | undefined;
  if (shuffle) {
    if (options.seed === undefined) {
      throw typeError(fn, "seed", "a safe integer when shuffle is true", undefined);
    }
    seed = checkSeed(fn, options.seed);
  }
  return {
    batchSize,
    dropLast,
    order: (n) =>
      seed === undefined
        ? Int32Array.from({ length: n }, (_, i) => i)
        : permutation(n, deriveSeed(seed, epoch)),
  };
}

/** The index ranges of one epoch's batches: `[start, end)` pairs into the order. */
export function* batchRanges(n: number, plan: BatchPlan): Generator<[number, number]> {
  const end = plan.dropLast ? n - (n % plan.batchSize) : n;
  for (let start = 0; start < end; start += plan.batchSize) {
    yield [start, Math.min(start + plan.batchSize, end)];
  }
}
