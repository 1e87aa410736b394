import type * as tf from "@tensorflow/tfjs";
import { augmentView, type ViewRecipe } from "@selfsup/augment";
import { deriveSeed } from "@selfsup/internal";
import type { Augmentation } from "../settings.ts";

/** A recipe's two views of a batch: what the learners' `views` option takes. */
export type ViewsFn = (
  images: tf.Tensor4D,
  options: { seed: number; size: [number, number]; checkValues: boolean },
) => [tf.Tensor4D, tf.Tensor4D];

type Probability = "flip" | "jitterP" | "grayscale" | "blur" | "solarize" | Study;
type Study = "rotation" | "sobel" | "cutout" | "noise";

/** The recipe field of each listed transform's probability (crop has none: it is a range). */
const FIELD: Record<Exclude<Augmentation, "crop">, Probability> = {
  flip: "flip",
  color: "jitterP",
  grayscale: "grayscale",
  blur: "blur",
  solarize: "solarize",
  rotation: "rotation",
  sobel: "sobel",
  cutout: "cutout",
  noise: "noise",
};

/**
 * Probabilities of listed transforms that the run's preset leaves out (probability 0): the
 * papers' own where they have one (SimCLR's colour jitter 0.8, flip 0.5, grayscale 0.2 and its
 * ImageNet views' blur 0.5; BYOL's solarization 0.2), else 1 for the operators of SimCLR's
 * augmentation study (arXiv:2002.05709, figure 4), which it applies to every image of a branch.
 */
const FALLBACK: Record<Probability, number> = {
  flip: 0.5,
  jitterP: 0.8,
  grayscale: 0.2,
  blur: 0.5,
  solarize: 0.2,
  rotation: 1,
  sobel: 1,
  cutout: 1,
  noise: 1,
};

/**
 * The view recipe of an `--augment` list: each listed transform at the preset's probability
 * and strength (the larger of the presets' where they differ, as BYOL's two views: the same
 * recipe then makes both views), or {@linkcode FALLBACK}'s where the preset has it at 0; every
 * other transform off. Without `crop` the view is the whole image (area 1 at the image's own
 * aspect ratio), resized to the output size.
 *
 * @param list The transforms, from `--augment`.
 * @param presets The run's preset recipes (one, or BYOL's two).
 * @param imageShape `[height, width]` of the input images.
 * @returns The recipe, for `augmentView` of `@selfsup/augment`.
 */
export function listedRecipe(
  list: readonly Augmentation[],
  presets: readonly ViewRecipe[],
  [height, width]: [number, number],
): ViewRecipe {
  const [first] = presets;
  const recipe: ViewRecipe = {
    scale: list.includes("crop") ? first.scale : [1, 1],
    ratio: list.includes("crop") ? first.ratio : [width / height, width / height],
    flip: 0,
    jitter: first.jitter,
    jitterP: 0,
    grayscale: 0,
    blur: 0,
    solarize: 0,
  };
  for (const name of list) {
    if (name === "crop") continue;
    const field = FIELD[name];
    const preset = Math.max(...presets.map((p) => p[field] ?? 0));
    recipe[field] = preset > 0 ? preset : FALLBACK[field];
  }
  return recipe;
}

/**
 * Two views from {@linkcode listedRecipe}: view v is `augmentView` with seed
 * `deriveSeed(seed, v)`, as the presets of `@selfsup/augment` draw theirs, so a list that
 * names exactly a preset's transforms gives that preset's views bit for bit.
 *
 * @param list The transforms, from `--augment`.
 * @param presetsFor The run's preset recipes for an output size.
 * @returns The views function; each call returns two new tensors the caller disposes.
 */
export function listedViews(
  list: readonly Augmentation[],
  presetsFor: (size: [number, number]) => readonly ViewRecipe[],
): ViewsFn {
  return (images, { seed, size, checkValues }) => {
    const recipe = listedRecipe(list, presetsFor(size), [images.shape[1], images.shape[2]]);
    const view = (v: number) =>
      augmentView(images, { seed: deriveSeed(seed, v), size, recipe, checkValues });
    const first = view(0);
    try {
      return [first, view(1)];
    } catch (error) {
      first.dispose();
      throw error;
    }
  };
}
