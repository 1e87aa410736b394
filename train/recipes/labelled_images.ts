import { type Dataset, labelledSubset } from "@selfsup/data";
import { deriveSeed } from "@selfsup/internal";
import type { Settings } from "../settings.ts";

// Seed path of the labelled subset: SimCLRv2's fine-tuning and the supervised baseline draw
// the same images for the same seed and --labels, so their rows compare like for like.
const LABELS_STREAM = 8;

/** The labelled share of `--labels` ("1%", "10%", a count N, or "all"), at most 1. */
export function labelFraction(labels: string, trainSize: number): number {
  if (labels === "all") return 1;
  const fraction = labels.endsWith("%")
    ? parseFloat(labels) / 100
    : parseInt(labels, 10) / trainSize;
  return Math.min(1, fraction);
}

/**
 * The labelled training images of `--labels`: the class-stratified subset
 * `labelledSubset(train, { fraction, seed: deriveSeed(seed, 8) })` of `@selfsup/data`, or
 * `train` itself for `all` (the subset of fraction 1 holds the same images in the same order).
 */
export function labelledImages(
  settings: Pick<Settings, "labels" | "seed">,
  train: Dataset,
): Dataset {
  const labels = settings.labels ?? "all";
  if (labels === "all") return train;
  return labelledSubset(train, {
    fraction: labelFraction(labels, train.shape[0]),
    seed: deriveSeed(settings.seed, LABELS_STREAM),
  });
}
