import { type Dataset, selectImages } from "./dataset.ts";
import { checkSeed, mixSeed, permutation } from "./_random.ts";

/**
 * Draws a class-stratified random subset of a labelled dataset, e.g. the 1% and 10% label
 * splits of the SimCLR / BYOL semi-supervised experiments.
 *
 * From each class with `n` images it takes `max(1, round(fraction * n))` of them (so every
 * class is represented), chosen with a seeded shuffle of that class alone: the draw of one
 * class does not depend on the others. The chosen images keep their original relative order.
 *
 * @param dataset A labelled dataset.
 * @param fraction Share of each class to keep, in (0, 1].
 * @param seed Integer seed of the draw.
 * @returns The subset, with labels and class names.
 * @throws {TypeError} If the dataset has no labels.
 * @throws {RangeError} If `fraction` is not in (0, 1] or `seed` is not an integer.
 *
 * @example 50% of each of two classes
 * ```ts
 * import { classCounts, fromArrays, labelledSubset } from "@selfsup/data";
 * import assert from "node:assert/strict";
 *
 * const ds = fromArrays(new Uint8Array(6), [6, 1, 1, 1], { labels: [0, 0, 0, 0, 1, 1] });
 * const half = labelledSubset(ds, 0.5, 7);
 * assert.deepEqual(classCounts(half), [2, 1]);
 * ```
 */
export function labelledSubset(dataset: Dataset, fraction: number, seed: number): Dataset {
  const { labels } = dataset;
  if (!labels) {
    throw new TypeError("dataset must have labels for a stratified subset, it has none");
  }
  if (!(fraction > 0 && fraction <= 1)) {
    throw new RangeError(`fraction must be in (0, 1], got ${fraction}`);
  }
  checkSeed(seed);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const members = byClass.get(labels[i]);
    if (members) members.push(i);
    else byClass.set(labels[i], [i]);
  }
  const chosen: number[] = [];
  for (const [label, members] of byClass) {
    const take = Math.max(1, Math.round(fraction * members.length));
    const order = permutation(members.length, mixSeed(seed, label));
    for (let i = 0; i < take; i++) chosen.push(members[order[i]]);
  }
  chosen.sort((a, b) => a - b);
  return selectImages(dataset, chosen);
}
