import * as tf from "@tensorflow/tfjs";
import {
  checkBoolean,
  checkNumber,
  checkOptions,
  checkProbability,
  checkSeed,
  deriveSeed,
  rangeError,
} from "@selfsup/internal";
import { drawCropBoxes } from "./_crop_boxes.ts";
import { cropKernel } from "./_kernels.ts";
import {
  blurImages,
  cutoutImages,
  DEFAULT_CUTOUT_SIZE,
  DEFAULT_NOISE_STD,
  flipImages,
  grayImages,
  jitterImages,
  noiseImages,
  rotateImages,
  sobelImages,
  solarizeImages,
} from "./_random_transforms.ts";
import {
  checkImages,
  checkRange,
  checkRatio,
  checkScale,
  checkSize,
  checkStrengths,
  optionalOptions,
} from "./_validate.ts";
import type { ColorJitterStrengths } from "./color_jitter.ts";
import { defaultBlurRadius } from "./gaussian_blur.ts";
import type { CropBox } from "./random_resized_crop.ts";
import type { ValueCheckOptions } from "./value_check_options.ts";

/**
 * The full recipe of one view: each step in the order the papers apply them, then the optional
 * operators of SimCLR's augmentation study (arXiv:2002.05709, figure 4), which no preset uses,
 * in the order rotation, Sobel, cutout, noise: geometry first, then Sobel's appearance change
 * (after the colour steps, as grayscale), then occlusion and pixel noise on the final image.
 */
export interface ViewRecipe {
  /** Range of the crop's area fraction. */
  scale: [number, number];
  /** Range of the crop's aspect ratio (log-uniform). */
  ratio: [number, number];
  /** Probability of a horizontal flip. */
  flip: number;
  /** Colour-jitter strengths. */
  jitter: ColorJitterStrengths;
  /** Probability of colour jitter. */
  jitterP: number;
  /** Probability of grayscale. */
  grayscale: number;
  /** Probability of gaussian blur (sigma uniform in [0.1, 2], radius about 5% of the side). */
  blur: number;
  /** Probability of solarization (threshold 0.5). */
  solarize: number;
  /**
   * Probability of a rotation by 90, 180 or 270 degrees, uniform ({@linkcode randomRotation});
   * more than 0 needs a square output size. Absent: 0.
   */
  rotation?: number;
  /** Probability of Sobel filtering ({@linkcode sobelFilter}). Absent: 0. */
  sobel?: number;
  /**
   * Probability of cutout: one zero square of side half the shorter side
   * ({@linkcode cutout}'s default). Absent: 0.
   */
  cutout?: number;
  /**
   * Probability of Gaussian noise, sigma uniform in [0, 0.1] per image
   * ({@linkcode gaussianNoise}'s default). Absent: 0.
   */
  noise?: number;
}

// Tags of the per-transform seed streams within one view. New steps take new tags: changing a
// tag would change every view drawn from a seed.
const CROP = 1, FLIP = 2, JITTER = 3, GRAY = 4, BLUR = 5, SOLARIZE = 6;
const ROTATION = 7, SOBEL = 8, CUTOUT = 9, NOISE = 10;

/** Options of {@linkcode augmentView}. */
export interface AugmentViewOptions extends ValueCheckOptions {
  /** Integer seed of this view; each step draws from its own stream derived from it. */
  seed: number;
  /** Output size: an integer for a square or `[height, width]`. Default: the input's size. */
  size?: number | [number, number];
  /** The probabilities and strengths of every step. */
  recipe: ViewRecipe;
}

/**
 * Makes one view of a batch: random resized crop to `size`, flip, colour jitter in random
 * order, grayscale, blur, solarize, then the recipe's optional rotation, Sobel filtering,
 * cutout and noise, each with its own per-image draws from `seed`.
 *
 * @param images Float32 `[N, H, W, C]` batch in [0, 1], C = 1 or 3.
 * @param options Seed, output size, recipe and whether to check the values.
 * @returns A new `[N, height, width, C]` tensor in [0, 1]; the caller disposes it.
 * @throws {RangeError} On C other than 1 or 3, values outside [0, 1], a bad size, a probability
 * outside [0, 1], a reversed range, a bad strength, or a rotation with a size that is not
 * square.
 * @throws {TypeError} On arguments of the wrong type, and images that are not a float32
 * rank-4 tensor.
 *
 * @example A crop-and-flip-only view
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { augmentView } from "@selfsup/augment";
 * import assert from "node:assert/strict";
 *
 * const images = tf.randomUniform([2, 28, 28, 1], 0, 1, "float32", 1) as tf.Tensor4D;
 * const view = augmentView(images, {
 *   seed: 42,
 *   size: 24,
 *   recipe: {
 *     scale: [0.2, 1], ratio: [3 / 4, 4 / 3], flip: 0.5,
 *     jitter: { brightness: 0, contrast: 0, saturation: 0, hue: 0 }, jitterP: 0,
 *     grayscale: 0, blur: 0, solarize: 0,
 *   },
 * });
 * assert.deepEqual(view.shape, [2, 24, 24, 1]);
 * tf.dispose([images, view]);
 * ```
 *
 * @example SimCLR's views with the study's rotation and cutout added
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { augmentView, simclrRecipe } from "@selfsup/augment";
 * import assert from "node:assert/strict";
 *
 * const images = tf.randomUniform([2, 32, 32, 3], 0, 1, "float32", 1) as tf.Tensor4D;
 * const recipe = { ...simclrRecipe({ strength: 0.5 }), rotation: 1, cutout: 0.5 };
 * const view = augmentView(images, { seed: 42, size: 28, recipe });
 * assert.deepEqual(view.shape, [2, 28, 28, 3]);
 * tf.dispose([images, view]);
 * ```
 */
export function augmentView(images: tf.Tensor4D, options: AugmentViewOptions): tf.Tensor4D {
  const fn = "augmentView";
  checkImages(fn, images);
  checkOptions(fn, options);
  const seed = checkSeed(fn, options.seed);
  const size = checkSize(fn, options.size ?? [images.shape[1], images.shape[2]]);
  const recipe = checkRecipe(fn, options.recipe);
  if (recipe.rotation > 0 && size[0] !== size[1]) {
    // 90 and 270 degrees would swap the view's height and width.
    const when = "when recipe.rotation > 0";
    if (options.size !== undefined) {
      throw rangeError(fn, "size", `square (height = width) ${when}`, options.size);
    }
    throw rangeError(fn, "images", `square (H = W) ${when} and no size is given`, images);
  }
  checkRange(fn, images, options);
  return composeView(images, seed, size, recipe);
}

/** Checks a recipe, naming its fields as `recipe.flip`, `recipe.jitter.hue`, ... */
function checkRecipe(fn: string, recipe: ViewRecipe): Required<ViewRecipe> {
  checkOptions(fn, recipe, "recipe");
  type Step = "flip" | "jitterP" | "grayscale" | "blur" | "solarize";
  const p = (key: Step | "rotation" | "sobel" | "cutout" | "noise") =>
    checkProbability(fn, `recipe.${key}`, recipe[key] ?? 0);
  return {
    scale: checkScale(fn, recipe.scale, "recipe.scale"),
    ratio: checkRatio(fn, recipe.ratio, "recipe.ratio"),
    flip: p("flip"),
    jitter: checkStrengths(fn, recipe.jitter, "recipe.jitter."),
    jitterP: p("jitterP"),
    grayscale: p("grayscale"),
    blur: p("blur"),
    solarize: p("solarize"),
    rotation: p("rotation"),
    sobel: p("sobel"),
    cutout: p("cutout"),
    noise: p("noise"),
  };
}

/** One view from checked arguments: each step draws from its own stream of `seed`. */
function composeView(
  images: tf.Tensor4D,
  seed: number,
  size: [number, number],
  r: ViewRecipe,
): tf.Tensor4D {
  const [n, h, w] = images.shape;
  const boxes: CropBox[] = drawCropBoxes(n, deriveSeed(seed, CROP), h, w, r.scale, r.ratio);
  return tf.tidy(() => {
    let x = cropKernel(images, boxes, size);
    x = flipImages(x, deriveSeed(seed, FLIP), r.flip);
    x = jitterImages(x, deriveSeed(seed, JITTER), r.jitterP, r.jitter);
    x = grayImages(x, deriveSeed(seed, GRAY), r.grayscale);
    const radius = defaultBlurRadius(size[0], size[1]);
    x = blurImages(x, deriveSeed(seed, BLUR), r.blur, [0.1, 2], radius);
    x = solarizeImages(x, deriveSeed(seed, SOLARIZE), r.solarize);
    // The study's steps run only when asked for, so the presets' views stay what they were.
    if (r.rotation) x = rotateImages(x, deriveSeed(seed, ROTATION), r.rotation);
    if (r.sobel) x = sobelImages(x, deriveSeed(seed, SOBEL), r.sobel);
    if (r.cutout) x = cutoutImages(x, deriveSeed(seed, CUTOUT), r.cutout, DEFAULT_CUTOUT_SIZE);
    if (r.noise) x = noiseImages(x, deriveSeed(seed, NOISE), r.noise, DEFAULT_NOISE_STD);
    return x;
  });
}

/** Options of {@linkcode simclrRecipe}. */
export interface SimclrRecipeOptions {
  /**
   * Colour-distortion strength s in [0, 2.5]: jitter (0.8 s, 0.8 s, 0.8 s, 0.2 s); above 2.5
   * the hue shift would pass half a turn. Default 1.
   */
  strength?: number;
  /** Whether to blur with p 0.5. Default true. */
  blur?: boolean;
  /** The crop's area range, fractions of the image in (0, 1]. Default `[0.08, 1]`. */
  cropScale?: [number, number];
}

/** The largest colour strength: hue 0.2 s must stay within half a turn. */
const MAX_STRENGTH = 2.5;

function checkStrength(fn: string, strength: unknown): number {
  return checkNumber(fn, "strength", strength, { min: 0, max: MAX_STRENGTH });
}

/**
 * The SimCLR view recipe (Chen et al. 2020, arXiv:2002.05709, appendix A) at colour strength
 * s: crop area 0.08-1, ratio 3/4-4/3, flip 0.5, jitter (0.8 s, 0.8 s, 0.8 s, 0.2 s) with
 * p 0.8, grayscale 0.2, blur 0.5 (or 0), no solarization.
 *
 * @param options Colour strength (default 1), blur (default true) and crop area range (default
 *   `[0.08, 1]`).
 * @returns The recipe, for {@linkcode augmentView}.
 * @throws {RangeError} If `strength` is outside [0, 2.5] or `cropScale` is not a range within
 *   (0, 1].
 * @throws {TypeError} If an option has the wrong type.
 *
 * @example
 * ```ts
 * import { simclrRecipe } from "@selfsup/augment";
 * import assert from "node:assert/strict";
 *
 * assert.equal(simclrRecipe({ strength: 0.5 }).jitter.hue, 0.1);
 * assert.equal(simclrRecipe({ blur: false }).blur, 0);
 * assert.deepEqual(simclrRecipe({ cropScale: [0.2, 1] }).scale, [0.2, 1]);
 * ```
 */
export function simclrRecipe(options?: SimclrRecipeOptions): ViewRecipe {
  const fn = "simclrRecipe";
  const checked = optionalOptions(fn, options);
  const strength = checkStrength(fn, checked.strength ?? 1);
  const blur = checkBoolean(fn, "blur", checked.blur ?? true);
  return makeSimclrRecipe(strength, blur, checkScale(fn, checked.cropScale, "cropScale"));
}

/** The SimCLR recipe from checked arguments. */
function makeSimclrRecipe(strength: number, blur: boolean, scale: [number, number]): ViewRecipe {
  return {
    scale,
    ratio: [3 / 4, 4 / 3],
    flip: 0.5,
    jitter: {
      brightness: 0.8 * strength,
      contrast: 0.8 * strength,
      saturation: 0.8 * strength,
      hue: 0.2 * strength,
    },
    jitterP: 0.8,
    grayscale: 0.2,
    blur: blur ? 0.5 : 0,
    solarize: 0,
  };
}

/**
 * The two BYOL view recipes (Grill et al. 2020, arXiv:2006.07733, table 6): both crop, flip
 * 0.5, jitter (0.4, 0.4, 0.2, 0.1) with p 0.8 and grayscale 0.2; blur 1.0 / 0.1 and
 * solarization 0 / 0.2.
 *
 * @returns The two recipes, for {@linkcode augmentView}.
 *
 * @example
 * ```ts
 * import { byolRecipes } from "@selfsup/augment";
 * import assert from "node:assert/strict";
 *
 * const [first, second] = byolRecipes();
 * assert.deepEqual([first.blur, second.blur, first.solarize, second.solarize], [1, 0.1, 0, 0.2]);
 * ```
 */
export function byolRecipes(): [ViewRecipe, ViewRecipe] {
  const common = {
    scale: [0.08, 1] as [number, number],
    ratio: [3 / 4, 4 / 3] as [number, number],
    flip: 0.5,
    // BYOL's brightness adds an offset (its augmentations.py), unlike SimCLRv2's factor.
    jitter: {
      brightness: 0.4,
      contrast: 0.4,
      saturation: 0.2,
      hue: 0.1,
      brightnessMode: "additive" as const,
    },
    jitterP: 0.8,
    grayscale: 0.2,
  };
  return [{ ...common, blur: 1, solarize: 0 }, { ...common, blur: 0.1, solarize: 0.2 }];
}

/** Options of {@linkcode simclrViews}. */
export interface SimclrViewsOptions extends ValueCheckOptions {
  /** Integer seed; view v uses its own stream derived from (seed, v). */
  seed: number;
  /** Output size: an integer for a square or `[height, width]`. Default: the input's size. */
  size?: number | [number, number];
  /** Colour-distortion strength s in [0, 2.5]: jitter (0.8 s, 0.8 s, 0.8 s, 0.2 s). Default 1. */
  strength?: number;
  /** Whether to blur (p = 0.5). Default true. */
  blur?: boolean;
  /** The crop's area range, fractions of the image in (0, 1]. Default `[0.08, 1]`. */
  cropScale?: [number, number];
}

/** What every preset's options hold. */
type PairOptions = ValueCheckOptions & { seed: number; size?: number | [number, number] };

/** Checks a preset's images and common options, then makes its two views. */
function viewPair(
  fn: string,
  images: tf.Tensor4D,
  options: PairOptions,
  [r0, r1]: [ViewRecipe, ViewRecipe],
): [tf.Tensor4D, tf.Tensor4D] {
  const seed = checkSeed(fn, options.seed);
  const size = checkSize(fn, options.size ?? [images.shape[1], images.shape[2]]);
  // One read-back for both views.
  checkRange(fn, images, options);
  const first = composeView(images, deriveSeed(seed, 0), size, r0);
  return [first, composeView(images, deriveSeed(seed, 1), size, r1)];
}

/**
 * The two SimCLR views of a batch (Chen et al. 2020, arXiv:2002.05709): random resized crop
 * (area 0.08-1, ratio 3/4-4/3), flip 0.5, colour jitter (0.8 s, 0.8 s, 0.8 s, 0.2 s) with
 * p 0.8 in random order, grayscale 0.2, gaussian blur with p 0.5. Each view and each image
 * draws its own parameters from `seed`.
 *
 * @param images Float32 `[N, H, W, C]` batch in [0, 1], C = 1 or 3.
 * @param options Seed, output size, colour strength, blur, crop area range and whether to check
 *   the values.
 * @returns Two new `[N, size, size, C]` tensors in [0, 1]; the caller disposes both.
 * @throws {RangeError} On C other than 1 or 3, values outside [0, 1], a size < 1, a strength
 * outside [0, 2.5] or a crop area range not within (0, 1].
 * @throws {TypeError} On arguments of the wrong type, and images that are not a float32
 * rank-4 tensor.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { simclrViews } from "@selfsup/augment";
 * import assert from "node:assert/strict";
 *
 * const images = tf.randomUniform([4, 32, 32, 3], 0, 1, "float32", 1) as tf.Tensor4D;
 * const [v1, v2] = simclrViews(images, { seed: 7, size: 24 });
 * assert.deepEqual(v1.shape, [4, 24, 24, 3]);
 * assert.deepEqual(v2.shape, [4, 24, 24, 3]);
 * tf.dispose([images, v1, v2]);
 * ```
 */
export function simclrViews(
  images: tf.Tensor4D,
  options: SimclrViewsOptions,
): [tf.Tensor4D, tf.Tensor4D] {
  const fn = "simclrViews";
  checkImages(fn, images);
  checkOptions(fn, options);
  const strength = checkStrength(fn, options.strength ?? 1);
  const blur = checkBoolean(fn, "blur", options.blur ?? true);
  const recipe = makeSimclrRecipe(strength, blur, checkScale(fn, options.cropScale, "cropScale"));
  return viewPair(fn, images, options, [recipe, recipe]);
}

/** Options of {@linkcode byolViews}. */
export interface ByolViewsOptions extends ValueCheckOptions {
  /** Integer seed; view v uses its own stream derived from (seed, v). */
  seed: number;
  /** Output size: an integer for a square or `[height, width]`. Default: the input's size. */
  size?: number | [number, number];
  /** The crops' area range, fractions of the image in (0, 1]. Default `[0.08, 1]`. */
  cropScale?: [number, number];
}

/**
 * BYOL's two asymmetric views (Grill et al. 2020, arXiv:2006.07733, table 6): both crop,
 * flip 0.5, colour jitter (0.4, 0.4, 0.2, 0.1) with p 0.8 in random order (brightness as an
 * added offset, as BYOL's code does), grayscale 0.2; the first is always blurred and never
 * solarized, the second blurred with p 0.1 and solarized with p 0.2.
 *
 * @param images Float32 `[N, H, W, C]` batch in [0, 1], C = 1 or 3.
 * @param options Seed, output size, crop area range and whether to check the values.
 * @returns Two new `[N, size, size, C]` tensors in [0, 1]; the caller disposes both.
 * @throws {RangeError} On C other than 1 or 3, values outside [0, 1], a size < 1 or a crop
 * area range not within (0, 1].
 * @throws {TypeError} On arguments of the wrong type, and images that are not a float32
 * rank-4 tensor.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { byolViews } from "@selfsup/augment";
 * import assert from "node:assert/strict";
 *
 * const images = tf.randomUniform([2, 32, 32, 3], 0, 1, "float32", 1) as tf.Tensor4D;
 * const [online, target] = byolViews(images, { seed: 3 });
 * assert.deepEqual(online.shape, [2, 32, 32, 3]);
 * tf.dispose([images, online, target]);
 * ```
 */
export function byolViews(
  images: tf.Tensor4D,
  options: ByolViewsOptions,
): [tf.Tensor4D, tf.Tensor4D] {
  const fn = "byolViews";
  checkImages(fn, images);
  checkOptions(fn, options);
  const scale = checkScale(fn, options.cropScale, "cropScale");
  const [first, second] = byolRecipes();
  return viewPair(fn, images, options, [{ ...first, scale }, { ...second, scale }]);
}

/** Options of {@linkcode smallImageViews}. */
export interface SmallImageViewsOptions extends ValueCheckOptions {
  /** Integer seed; view v uses its own stream derived from (seed, v). */
  seed: number;
  /** Output size. Default: the input's size. */
  size?: number | [number, number];
  /** Colour-distortion strength in [0, 2.5]. Default 0.5, SimCLR's CIFAR-10 setting. */
  strength?: number;
  /** Whether to blur. Default false: at 28-32 px the CIFAR recipes leave blur out. */
  blur?: boolean;
  /** The crop's area range, fractions of the image in (0, 1]. Default `[0.08, 1]`. */
  cropScale?: [number, number];
}

/**
 * SimCLR views for small (28x28, 32x32) images, following the CIFAR-10 recipe of SimCLR
 * (appendix B.9): the same crop, flip, jitter and grayscale, colour strength 0.5, no blur.
 *
 * @param images Float32 `[N, H, W, C]` batch in [0, 1], C = 1 or 3.
 * @param options Seed, output size, colour strength, blur, crop area range and whether to check
 *   the values.
 * @returns Two new `[N, size, size, C]` tensors in [0, 1]; the caller disposes both.
 * @throws {RangeError} On C other than 1 or 3, values outside [0, 1], a size < 1, a strength
 * outside [0, 2.5] or a crop area range not within (0, 1].
 * @throws {TypeError} On arguments of the wrong type, and images that are not a float32
 * rank-4 tensor.
 *
 * @example Fashion-MNIST-sized batch
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { smallImageViews } from "@selfsup/augment";
 * import assert from "node:assert/strict";
 *
 * const images = tf.randomUniform([8, 28, 28, 1], 0, 1, "float32", 1) as tf.Tensor4D;
 * const [v1, v2] = smallImageViews(images, { seed: 11 });
 * assert.deepEqual(v1.shape, [8, 28, 28, 1]);
 * tf.dispose([images, v1, v2]);
 * ```
 */
export function smallImageViews(
  images: tf.Tensor4D,
  options: SmallImageViewsOptions,
): [tf.Tensor4D, tf.Tensor4D] {
  const fn = "smallImageViews";
  checkImages(fn, images);
  checkOptions(fn, options);
  const strength = checkStrength(fn, options.strength ?? 0.5);
  const blur = checkBoolean(fn, "blur", options.blur ?? false);
  const recipe = makeSimclrRecipe(strength, blur, checkScale(fn, options.cropScale, "cropScale"));
  return viewPair(fn, images, options, [recipe, recipe]);
}
