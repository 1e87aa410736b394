// The random transforms without argument checks: draw per-image decisions and parameters from
// the seed, then run the kernels on the whole batch, keeping the images that were not chosen
// exactly as they were. The public wrappers validate and call these; the presets validate once
// and compose them.
import type * as tf from "@tensorflow/tfjs";
import { Random } from "@selfsup/internal";
import {
  blurKernel,
  brightnessKernel,
  contrastKernel,
  cropKernel,
  type CutoutBox,
  cutoutKernel,
  fusedOnChosen,
  grayKernel,
  hasJitterKernel,
  hasKernel,
  hueKernel,
  jitterKernel,
  noiseKernel,
  rotateKernel,
  saturationKernel,
  sobelKernel,
  solarizeKernel,
} from "./_kernels.ts";
import { applyByGroup, applyToChosen, type GroupKernel } from "./_subsets.ts";
import type { ColorJitterStrengths } from "./color_jitter.ts";
import { GAUSSIAN_BLUR_KERNEL, GRAYSCALE_KERNEL, SOLARIZE_KERNEL } from "./kernel_names.ts";

/** One Bernoulli(p) draw per image. */
function draws(seed: number, n: number, p: number): boolean[] {
  const rng = new Random(seed);
  return Array.from({ length: n }, () => rng.bernoulli(p));
}

/** `randomFlip` without the checks: a full-box cropAndResize that runs backwards where flipped. */
export function flipImages(images: tf.Tensor4D, seed: number, p: number): tf.Tensor4D {
  const [n, h, w] = images.shape;
  const flips = draws(seed, n, p);
  if (!flips.some((f) => f)) return images.clone();
  const full = Array.from({ length: n }, () => [0, 0, 1, 1] as [number, number, number, number]);
  return cropKernel(images, full, [h, w], flips);
}

/** The per-image draws of a colour jitter. */
export interface JitterDraws {
  /** Whether image i is jittered at all. */
  applied: boolean[];
  /** Image i's order of the components 0 brightness, 1 contrast, 2 saturation, 3 hue. */
  orders: Int32Array[];
  /** params[t][i]: component t's factor (or offset / hue shift) for image i. */
  params: Float32Array[];
}

/** Draws every image's jitter decision, order and parameters (all of them, whatever p). */
export function drawJitter(
  seed: number,
  n: number,
  p: number,
  s: ColorJitterStrengths,
): JitterDraws {
  const rng = new Random(seed);
  const factor = (strength: number) => rng.uniform(Math.max(0, 1 - strength), 1 + strength);
  const additive = s.brightnessMode === "additive";
  const draws: JitterDraws = {
    applied: [],
    orders: [],
    params: [new Float32Array(n), new Float32Array(n), new Float32Array(n), new Float32Array(n)],
  };
  for (let i = 0; i < n; i++) {
    draws.applied.push(rng.bernoulli(p));
    draws.orders.push(rng.permutation(4));
    draws.params[0][i] = additive ? rng.uniform(-s.brightness, s.brightness) : factor(s.brightness);
    draws.params[1][i] = factor(s.contrast);
    draws.params[2][i] = factor(s.saturation);
    draws.params[3][i] = rng.uniform(-s.hue, s.hue);
  }
  return draws;
}

/** `randomColorJitter` without the checks. */
export function jitterImages(
  images: tf.Tensor4D,
  seed: number,
  p: number,
  s: ColorJitterStrengths,
): tf.Tensor4D {
  const draws = drawJitter(seed, images.shape[0], p, s);
  const { applied, orders, params } = draws;
  const additive = s.brightnessMode === "additive";
  const color = images.shape[3] === 3;
  const active = [s.brightness > 0, s.contrast > 0, color && s.saturation > 0, color && s.hue > 0];
  // One call for the batch where the backend has the fused kernel; else the op chain, slot by
  // slot on regrouped images.
  if (hasJitterKernel()) return fusedJitter(images, draws, active, additive);
  const kernels = [
    (x: tf.Tensor4D, v: number[]) => brightnessKernel(x, v, additive),
    contrastKernel,
    saturationKernel,
    hueKernel,
  ];
  // In each of the four order slots, every component runs once, on the images whose order puts
  // it in that slot: four adjustments per image, whatever the orders.
  let out = images.clone();
  for (let slot = 0; slot < 4; slot++) {
    const groups = orders.map((order, i) => applied[i] && active[order[slot]] ? order[slot] : -1);
    const next = applyByGroup(
      out,
      groups,
      kernels.map((kernel, t) => (x: tf.Tensor4D, idx: number[]) =>
        kernel(x, idx.map((i) => params[t][i]))
      ),
    );
    out.dispose();
    out = next;
  }
  return out;
}

/**
 * Each image's components slot by slot for the fused kernel, -1 where none runs: the ones the
 * op chain runs on it, so the kernel's values are the chain's. That is its order's component
 * where the image is jittered and the component active, except hue in a slot where every image
 * it would run on has shift 0: the chain skips that group (hueKernel's copy, without a clip).
 */
export function jitterSteps(
  { applied, orders, params }: JitterDraws,
  active: boolean[],
): Int32Array {
  const n = applied.length;
  const steps = new Int32Array(4 * n).fill(-1);
  for (let slot = 0; slot < 4; slot++) {
    let hueShifts = false;
    for (let i = 0; i < n; i++) {
      const t = orders[i][slot];
      if (!applied[i] || !active[t]) continue;
      steps[4 * i + slot] = t;
      if (t === 3 && params[3][i] !== 0) hueShifts = true;
    }
    if (hueShifts) continue;
    for (let i = 0; i < n; i++) if (steps[4 * i + slot] === 3) steps[4 * i + slot] = -1;
  }
  return steps;
}

/** The jitter in one call of the fused kernel (the backend has it). */
function fusedJitter(
  images: tf.Tensor4D,
  draws: JitterDraws,
  active: boolean[],
  additive: boolean,
): tf.Tensor4D {
  const steps = jitterSteps(draws, active);
  if (steps.every((t) => t === -1)) return images.clone();
  const n = images.shape[0];
  const params = new Float32Array(4 * n);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < 4; t++) params[4 * i + t] = draws.params[t][i];
  }
  return jitterKernel(images, steps, params, additive);
}

/**
 * `kernel` on the images whose flag is set, the others unchanged. Where the backend registers
 * the fused kernel `name`, one call of it with the flags (and `attrs`) on the whole batch;
 * else `kernel` on the chosen images, regrouped (gathers or slices, and a concat).
 */
function onChosen(
  images: tf.Tensor4D,
  flags: boolean[],
  name: string,
  attrs: tf.NamedAttrMap,
  kernel: GroupKernel,
): tf.Tensor4D {
  if (!flags.some((f) => f)) return images.clone();
  if (hasKernel(name)) return fusedOnChosen(name, images, attrs, flags);
  return applyToChosen(images, flags, kernel);
}

/** `randomGrayscale` without the checks. */
export function grayImages(images: tf.Tensor4D, seed: number, p: number): tf.Tensor4D {
  // A C = 1 image is its own grayscale: nothing to run.
  if (images.shape[3] !== 3) return images.clone();
  return onChosen(images, draws(seed, images.shape[0], p), GRAYSCALE_KERNEL, {}, grayKernel);
}

/** `randomGaussianBlur` without the checks. */
export function blurImages(
  images: tf.Tensor4D,
  seed: number,
  p: number,
  [s0, s1]: [number, number],
  radius: number,
): tf.Tensor4D {
  const rng = new Random(seed);
  const n = images.shape[0];
  const flags: boolean[] = [];
  const sigmas = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    flags.push(rng.bernoulli(p));
    sigmas[i] = rng.uniform(s0, s1);
  }
  // Radius 0 blurs nothing (blurKernel's copy, not clipped).
  if (radius === 0) return images.clone();
  const attrs = { sigmas: Array.from(sigmas), radius };
  return onChosen(
    images,
    flags,
    GAUSSIAN_BLUR_KERNEL,
    attrs,
    (x, idx) => blurKernel(x, idx.map((i) => sigmas[i]), radius),
  );
}

/** `randomSolarize` without the checks. */
export function solarizeImages(
  images: tf.Tensor4D,
  seed: number,
  p: number,
  threshold = 0.5,
): tf.Tensor4D {
  const flags = draws(seed, images.shape[0], p);
  return onChosen(
    images,
    flags,
    SOLARIZE_KERNEL,
    { threshold },
    (x) => solarizeKernel(x, threshold),
  );
}

/**
 * Image i's quarter turns counter-clockwise: 0 where it is not rotated (probability 1 - p),
 * else 1, 2 or 3 with equal chance. Both draws are made for every image, whatever p.
 */
export function drawRotations(seed: number, n: number, p: number): Int32Array {
  const rng = new Random(seed);
  const turns = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const applied = rng.bernoulli(p);
    const k = 1 + rng.integer(3);
    turns[i] = applied ? k : 0;
  }
  return turns;
}

/** `randomRotation` without the checks: one kernel call per angle. Square images only. */
export function rotateImages(images: tf.Tensor4D, seed: number, p: number): tf.Tensor4D {
  const turns = drawRotations(seed, images.shape[0], p);
  const kernels = ([1, 2, 3] as const).map((k) => (x: tf.Tensor4D) => rotateKernel(x, k));
  return applyByGroup(images, Array.from(turns, (k) => k - 1), kernels);
}

/** The default cutout side, as a fraction of the shorter side (DeVries & Taylor's CIFAR-10). */
export const DEFAULT_CUTOUT_SIZE: [number, number] = [0.5, 0.5];

/**
 * Image i's cutout hole, or null where it has none (probability 1 - p). The side is
 * round(f min(H, W)) pixels (at least 1) with f uniform in `[f0, f1]`; the centre is a pixel
 * drawn uniformly over the whole image, and the square is clipped to the image, so a hole near
 * a border is smaller (DeVries & Taylor 2017). Every draw is made for every image, whatever p.
 */
export function drawCutouts(
  seed: number,
  n: number,
  h: number,
  w: number,
  p: number,
  [f0, f1]: [number, number],
): (CutoutBox | null)[] {
  const rng = new Random(seed);
  const boxes: (CutoutBox | null)[] = [];
  for (let i = 0; i < n; i++) {
    const applied = rng.bernoulli(p);
    const side = Math.max(1, Math.round(rng.uniform(f0, f1) * Math.min(h, w)));
    const top = rng.integer(h) - Math.floor(side / 2);
    const left = rng.integer(w) - Math.floor(side / 2);
    boxes.push(
      applied
        ? [Math.max(0, top), Math.min(h, top + side), Math.max(0, left), Math.min(w, left + side)]
        : null,
    );
  }
  return boxes;
}

/** `cutout` without the checks. */
export function cutoutImages(
  images: tf.Tensor4D,
  seed: number,
  p: number,
  size: [number, number],
): tf.Tensor4D {
  const [n, h, w] = images.shape;
  const boxes = drawCutouts(seed, n, h, w, p, size);
  const flags = boxes.map((box) => box !== null);
  return applyToChosen(images, flags, (x, idx) => cutoutKernel(x, idx.map((i) => boxes[i]!)));
}

/** The default range of the noise's standard deviation, drawn per image. */
export const DEFAULT_NOISE_STD: [number, number] = [0, 0.1];

/** The per-image draws of Gaussian noise. */
export interface NoiseDraws {
  /** Whether image i gets noise. */
  applied: boolean[];
  /** Image i's standard deviation (drawn for every image). */
  sigmas: Float32Array;
  /** sigma_i z for the noisy images only, in batch order, `size` values each, z ~ N(0, 1). */
  noise: Float32Array;
}

/**
 * Draws every image's decision and sigma (uniform in `[s0, s1]`), then the noise of the images
 * that get it, from one stream.
 */
export function drawNoise(
  seed: number,
  n: number,
  size: number,
  p: number,
  [s0, s1]: [number, number],
): NoiseDraws {
  const rng = new Random(seed);
  const applied: boolean[] = [];
  const sigmas = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    applied.push(rng.bernoulli(p));
    sigmas[i] = rng.uniform(s0, s1);
  }
  const noise = new Float32Array(applied.filter((a) => a).length * size);
  let k = 0;
  for (let i = 0; i < n; i++) {
    if (!applied[i]) continue;
    for (let j = 0; j < size; j++) noise[k++] = sigmas[i] * rng.normal();
  }
  return { applied, sigmas, noise };
}

/** `gaussianNoise` without the checks. */
export function noiseImages(
  images: tf.Tensor4D,
  seed: number,
  p: number,
  std: [number, number],
): tf.Tensor4D {
  const [n, h, w, c] = images.shape;
  const { applied, noise } = drawNoise(seed, n, h * w * c, p, std);
  // The chosen images reach the kernel in batch order, as their noise is laid out.
  return applyToChosen(images, applied, (x) => noiseKernel(x, noise));
}

/** `sobelFilter` without the checks. */
export function sobelImages(images: tf.Tensor4D, seed: number, p: number): tf.Tensor4D {
  return applyToChosen(images, draws(seed, images.shape[0], p), sobelKernel);
}
