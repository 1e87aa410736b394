import {
  checkOptions,
  checkSeed,
  deriveSeed,
  permutation,
  rangeError,
  typeError,
} from "@selfsup/internal";
import type { Dataset } from "./dataset.ts";
import { checkDataset, requireLabels } from "./_validate.ts";
import { pick } from "./_pick.ts";

/** Options of {@linkcode labelledSubset}. */
export interface LabelledSubsetOptions {
  /** Share of each class to keep, in (0, 1]. */
  fraction: number;
  /** Integer seed of the draw (a safe integer). */
  seed: number;
}

/**
 * Draws a class-stratified random subset of a labelled dataset, e.g. the 1% and 10% label
 * splits of the SimCLR / BYOL semi-supervised experiments.
 *
 * From each class with `n` images it takes `max(1, round(fraction * n))` of them (so every
 * class is represented), chosen with a seeded shuffle of that class alone: the draw of one
 * class does not depend on the others. The chosen images keep their original relative order.
 *
 * @param dataset A labelled dataset.
 * @param options The fraction of each class to keep and the seed of the draw.
 * @returns The subset, with labels and class names.
 * @throws {TypeError} If the dataset has no labels, or `options` or a field has the wrong type.
 * @throws {RangeError} If `fraction` is not in (0, 1] or `seed` is not a safe integer.
 *
 * @example 50% of each of two classes
 * ```ts
 * import { classCounts, fromArrays, labelledSubset } from "@selfsup/data";
 * import assert from "node:assert/strict";
 *
 * const ds = fromArrays(new Uint8Array(6), [6, 1, 1, 1], { labels: [0, 0, 0, 0, 1, 1] });
 * const half = labelledSubset(ds, { fraction: 0.5, seed: 7 });
 * assert.deepEqual(classCounts(half), [2, 1]);
 * ```
 */
export function labelledSubset(dataset: Dataset, options: LabelledSubsetOptions): Dataset {
  const fn = "labelledSubset";
  const labels = requireLabels(fn, "dataset", checkDataset(fn, "dataset", dataset));
  checkOptions(fn, options);
  const { fraction } = options;
  if (typeof fraction !== "number") throw typeError(fn, "fraction", "a number in (0, 1]", fraction);
  if (!(fraction > 0 && fraction <= 1)) {
    throw rangeError(fn, "fraction", "a number in (0, 1]", fraction);
  }
  const seed = checkSeed(fn, options.seed);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const members = byClass.get(labels[i]);
    if (members) members.push(i);
    else byClass.set(labels[i], [i]);
  }
  const chosen: number[] = [];
  for (const [label, members] of byClass) {
    const take = Math.max(1, Math.round(fraction * members.length));
    const order = permutation(members.length, deriveSeed(seed, label));
    for (let i = 0; i < take; i++) chosen.push(members[order[i]]);
  }
  chosen.sort((a, b) => a - b);
  return pick(fn, dataset, chosen);
}
