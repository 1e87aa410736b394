import * as tf from "@tensorflow/tfjs";
import {
  applyBatchNorm,
  applyRelu,
  applyTo,
  checkModelName,
  checkNumber,
  checkOneOf,
  checkOptions,
  checkSeed,
  typeError,
} from "@selfsup/internal";
import { conv } from "./_conv.ts";
import { checkInputShape } from "./_validate.ts";

/** ResNet depths with a reference layout: 18 and 34 use basic blocks, 50 bottlenecks. */
export type ResNetDepth = 18 | 34 | 50;

/**
 * The first layers of a ResNet.
 *
 * - `"imagenet"`: 7x7 convolution with stride 2, batch norm, ReLU, then 3x3 max-pool with
 *   stride 2 (He et al. 2016, torchvision).
 * - `"small"`: 3x3 convolution with stride 1, batch norm, ReLU, no max-pool: the stem SimCLR
 *   uses for CIFAR-sized images (google-research/simclr `cifar_stem`).
 */
export type ResNetStem = "imagenet" | "small";

/** Options of {@linkcode resNet}. */
export interface ResNetOptions {
  /** 18, 34 or 50. */
  depth: ResNetDepth;
  /** `[height, width, channels]` of one NHWC image, any positive sizes. */
  inputShape: [number, number, number];
  /** Stem; default `"small"` when height and width are both <= 32, else `"imagenet"`. */
  stem?: ResNetStem;
  /**
   * Multiplies every channel count, stem included, as SimCLR's ResNet-50 (2x) and (4x);
   * counts are rounded down and must stay >= 1. Default 1.
   */
  widthMultiplier?: number;
  /** Integer seed of every initializer. */
  seed: number;
  /** Model name; default `"resnet<depth>"`. */
  name?: string;
}

/** Options of {@linkcode resNet18}, {@linkcode resNet34} and {@linkcode resNet50}. */
export type ResNetShorthandOptions = Omit<ResNetOptions, "depth">;

const BLOCKS_PER_STAGE: Record<ResNetDepth, number[]> = {
  18: [2, 2, 2, 2],
  34: [3, 4, 6, 3],
  50: [3, 4, 6, 3],
};
const STAGE_WIDTHS = [64, 128, 256, 512];
const BOTTLENECK_EXPANSION = 4;

/**
 * Builds a ResNet encoder (He et al. 2016, "Deep Residual Learning for Image Recognition",
 * arXiv:1512.03385) that maps NHWC images to the pooled representation h.
 *
 * The layout follows torchvision's ResNet without its final fully connected layer: basic
 * blocks for depths 18 and 34, bottleneck blocks for 50 with the stride in the 3x3
 * convolution ("ResNet v1.5"), 1x1 convolution + batch-norm shortcuts where the shape changes,
 * bias-free convolutions, and global average pooling at the end. With the ImageNet stem and 3
 * input channels it has exactly torchvision's trainable parameter count minus the fc layer:
 * 11,176,512 (ResNet-18), 21,284,672 (ResNet-34), 23,508,032 (ResNet-50). These count
 * trainable weights; `model.countParams()` also counts the batch norms' moving means and
 * variances (which torchvision keeps as buffers), 9,600 more for ResNet-18. Representation
 * width: 512 (18, 34) or 2048 (50), times `widthMultiplier`.
 *
 * Batch norm is `batchNormalization` of this package (momentum 0.9, epsilon 1e-5, as
 * google-research/simclr tf2): tfjs's layer, fused in training where the backend allows, so a
 * saved encoder loads with plain `tf.loadLayersModel` (save it with `saveModel` of
 * `@selfsup/encoders/model_files`, which writes the padded convolutions as stock layers). Call
 * the model with `model.apply(x, { training: true })` to normalise with batch statistics and
 * update the moving averages (with the biased batch variance, the Keras convention; torchvision
 * uses the unbiased one); `predict` / `apply` without it uses the moving averages.
 *
 * Layer names are fixed by the structure, not by tfjs's global name counter: `input`,
 * `stem_conv`, `stem_bn`, `stem_relu`, `stem_pool` (ImageNet stem), then
 * `stage<s>_block<b>_conv<i>` / `_bn<i>` / `_relu<i>`, `_shortcut_conv` / `_shortcut_bn`,
 * `_add`, `_out` (stages and blocks counted from 1), and `avg_pool`; the ImageNet stem's max
 * pool is padded by `stem_pool_pad`, and strided convolutions pad themselves (torchvision's
 * way, class `SelfsupPaddedConv2D`). Each initializer's seed is derived from `seed` and its
 * layer's name, so two models built with the same seed have the same names and weights.
 *
 * @param options Depth, input shape, stem, width multiplier, seed and name.
 * @returns An uncompiled `tf.LayersModel` from `[N, H, W, C]` to `[N, D]`; the caller owns it
 *   and frees its weights with `model.dispose()`.
 * @throws {TypeError} If `options` is not an object, or `depth`, `inputShape`, `stem`,
 *   `widthMultiplier`, `seed` or `name` has the wrong type (`name`: a non-empty string).
 * @throws {RangeError} If `depth`, `inputShape`, `stem`, `widthMultiplier` or `seed` is out of
 *   range, naming the value.
 *
 * @example A CIFAR-style ResNet-18 at a quarter width
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { resNet } from "@selfsup/encoders";
 * import assert from "node:assert/strict";
 *
 * const encoder = resNet({ depth: 18, inputShape: [16, 16, 3], widthMultiplier: 0.25, seed: 1 });
 * const h = encoder.predict(tf.zeros([2, 16, 16, 3])) as tf.Tensor;
 * assert.deepEqual(h.shape, [2, 128]);
 * h.dispose();
 * encoder.dispose();
 * ```
 */
export function resNet(options: ResNetOptions): tf.LayersModel {
  return buildResNet("resNet", checkOptions("resNet", options));
}

/** {@linkcode resNet} with errors naming `fn`, the function the user called. */
function buildResNet(fn: string, options: ResNetOptions): tf.LayersModel {
  const { depth, seed, widthMultiplier = 1 } = options;
  if (typeof depth !== "number") throw typeError(fn, "depth", "one of 18, 34, 50", depth);
  checkOneOf(fn, "depth", depth, [18, 34, 50] as const);
  const inputShape = checkInputShape(fn, options.inputShape);
  checkSeed(fn, seed);
  const name = checkModelName(fn, options.name ?? `resnet${depth}`);
  const stem = options.stem ?? (inputShape[0] <= 32 && inputShape[1] <= 32 ? "small" : "imagenet");
  if (typeof stem !== "string") throw typeError(fn, "stem", '"imagenet" or "small"', stem);
  checkOneOf(fn, "stem", stem, ["imagenet", "small"] as const);
  // Below 1/64 the stem would have no channel left.
  checkNumber(fn, "widthMultiplier", widthMultiplier, { min: 1 / 64 });
  const width = (channels: number) => Math.floor(channels * widthMultiplier);

  const input = tf.input({ shape: inputShape, name: "input" });
  let x = conv(input, {
    name: "stem_conv",
    filters: width(64),
    size: stem === "imagenet" ? 7 : 3,
    stride: stem === "imagenet" ? 2 : 1,
    seed,
  });
  x = applyRelu(applyBatchNorm(x, "stem_bn"), "stem_relu");
  if (stem === "imagenet") {
    // torchvision pads the max-pool with -inf; after the ReLU every value is >= 0, so zeros
    // give the same maxima.
    x = applyTo(tf.layers.zeroPadding2d({ padding: [[1, 1], [1, 1]], name: "stem_pool_pad" }), x);
    x = applyTo(
      tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: "valid", name: "stem_pool" }),
      x,
    );
  }

  const block = depth === 50 ? bottleneckBlock : basicBlock;
  BLOCKS_PER_STAGE[depth].forEach((blocks, s) => {
    for (let b = 0; b < blocks; b++) {
      x = block(x, {
        prefix: `stage${s + 1}_block${b + 1}`,
        filters: width(STAGE_WIDTHS[s]),
        stride: s > 0 && b === 0 ? 2 : 1,
        seed,
      });
    }
  });
  const h = applyTo(tf.layers.globalAveragePooling2d({ name: "avg_pool" }), x);
  return tf.model({ inputs: input, outputs: h, name });
}

interface BlockOptions {
  prefix: string;
  filters: number;
  stride: number;
  seed: number;
}

/** Two 3x3 convolutions; output channels = `filters`. */
function basicBlock(x: tf.SymbolicTensor, o: BlockOptions): tf.SymbolicTensor {
  const { prefix: p, filters, stride, seed } = o;
  let y = conv(x, { name: `${p}_conv1`, filters, size: 3, stride, seed });
  y = applyRelu(applyBatchNorm(y, `${p}_bn1`), `${p}_relu1`);
  y = conv(y, { name: `${p}_conv2`, filters, size: 3, stride: 1, seed });
  y = applyBatchNorm(y, `${p}_bn2`);
  return residual(x, y, o, filters);
}

/** 1x1 reduce, 3x3 (carrying the stride, v1.5), 1x1 expand; output channels = 4 * `filters`. */
function bottleneckBlock(x: tf.SymbolicTensor, o: BlockOptions): tf.SymbolicTensor {
  const { prefix: p, filters, stride, seed } = o;
  let y = conv(x, { name: `${p}_conv1`, filters, size: 1, stride: 1, seed });
  y = applyRelu(applyBatchNorm(y, `${p}_bn1`), `${p}_relu1`);
  y = conv(y, { name: `${p}_conv2`, filters, size: 3, stride, seed });
  y = applyRelu(applyBatchNorm(y, `${p}_bn2`), `${p}_relu2`);
  y = conv(y, {
    name: `${p}_conv3`,
    filters: BOTTLENECK_EXPANSION * filters,
    size: 1,
    stride: 1,
    seed,
  });
  y = applyBatchNorm(y, `${p}_bn3`);
  return residual(x, y, o, BOTTLENECK_EXPANSION * filters);
}

/** relu(y + shortcut(x)), with a 1x1 convolution + batch norm shortcut when shapes differ. */
function residual(
  x: tf.SymbolicTensor,
  y: tf.SymbolicTensor,
  o: BlockOptions,
  outChannels: number,
): tf.SymbolicTensor {
  const { prefix: p, stride, seed } = o;
  let shortcut = x;
  if (stride !== 1 || x.shape[3] !== outChannels) {
    shortcut = conv(x, { name: `${p}_shortcut_conv`, filters: outChannels, size: 1, stride, seed });
    shortcut = applyBatchNorm(shortcut, `${p}_shortcut_bn`);
  }
  const sum = tf.layers.add({ name: `${p}_add` }).apply([y, shortcut]) as tf.SymbolicTensor;
  return applyRelu(sum, `${p}_out`);
}

/**
 * ResNet-18: {@linkcode resNet} with `depth: 18` (basic blocks [2, 2, 2, 2], h of width 512).
 *
 * @param options Everything {@linkcode resNet} takes except `depth`.
 * @returns The encoder; the caller disposes it.
 * @throws {TypeError} On an option of the wrong type, as {@linkcode resNet}.
 * @throws {RangeError} On an option out of range, as {@linkcode resNet}.
 *
 * @example
 * ```ts
 * import { representationDim, resNet18 } from "@selfsup/encoders";
 * import assert from "node:assert/strict";
 *
 * const encoder = resNet18({ inputShape: [8, 8, 1], widthMultiplier: 0.125, seed: 7 });
 * assert.equal(representationDim(encoder), 64);
 * encoder.dispose();
 * ```
 */
export function resNet18(options: ResNetShorthandOptions): tf.LayersModel {
  return buildResNet("resNet18", { ...checkOptions("resNet18", options), depth: 18 });
}

/**
 * ResNet-34: {@linkcode resNet} with `depth: 34` (basic blocks [3, 4, 6, 3], h of width 512).
 *
 * @param options Everything {@linkcode resNet} takes except `depth`.
 * @returns The encoder; the caller disposes it.
 * @throws {TypeError} On an option of the wrong type, as {@linkcode resNet}.
 * @throws {RangeError} On an option out of range, as {@linkcode resNet}.
 *
 * @example
 * ```ts
 * import { representationDim, resNet34 } from "@selfsup/encoders";
 * import assert from "node:assert/strict";
 *
 * const encoder = resNet34({ inputShape: [8, 8, 3], widthMultiplier: 0.0625, seed: 7 });
 * assert.equal(representationDim(encoder), 32);
 * encoder.dispose();
 * ```
 */
export function resNet34(options: ResNetShorthandOptions): tf.LayersModel {
  return buildResNet("resNet34", { ...checkOptions("resNet34", options), depth: 34 });
}

/**
 * ResNet-50: {@linkcode resNet} with `depth: 50` (bottleneck blocks [3, 4, 6, 3], h of width
 * 2048).
 *
 * @param options Everything {@linkcode resNet} takes except `depth`.
 * @returns The encoder; the caller disposes it.
 * @throws {TypeError} On an option of the wrong type, as {@linkcode resNet}.
 * @throws {RangeError} On an option out of range, as {@linkcode resNet}.
 *
 * @example
 * ```ts
 * import { representationDim, resNet50 } from "@selfsup/encoders";
 * import assert from "node:assert/strict";
 *
 * const encoder = resNet50({ inputShape: [8, 8, 3], widthMultiplier: 0.0625, seed: 7 });
 * assert.equal(representationDim(encoder), 128);
 * encoder.dispose();
 * ```
 */
export function resNet50(options: ResNetShorthandOptions): tf.LayersModel {
  return buildResNet("resNet50", { ...checkOptions("resNet50", options), depth: 50 });
}
