/**
 * The reference training step that every backend is measured on (issue 3): SimCLR on
 * 2 x `batch` random images, encoder -> MLP head -> NT-Xent, Adam. It runs on whatever
 * TensorFlow.js backend is active when it is built.
 *
 * - `"reference"`: 28x28x1 input; conv3x3(32)+BN+ReLU, then three residual stages of one basic
 *   block each (widths 32, 64, 128; stride 2 with a 1x1 projection shortcut at stages 2 and 3),
 *   global average pool, head 128-128-64. About 57 GFLOP per step at batch 128.
 * - `"resnet18-small"`: ResNet-18 with the small-image stem on 32x32x3 input, head 512-512-128.
 * - `"train-default"`: the model of `deno task train`'s default run, ResNet-18 x0.25 (small
 *   stem) on 28x28x1 input, head 128-128-128, so a real run's images/s can be held against
 *   `deno task bench --learner simclr --encoder train-default --batch 256`.
 * - `"train-96"`: the model `deno task train` trains on 96x96 RGB images, ResNet-18 x0.25 with
 *   the ImageNet stem (its default above 32 px) on 96x96x3 input, head 128-128-128, so the cost
 *   of 96x96 augmentation can be held against a step that trains at that size.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { ntXent } from "../losses/mod.ts";
import { batchNormalization, resNet18 } from "../encoders/mod.ts";

/** Which encoder the reference step trains. */
export type ReferenceEncoder = "reference" | "resnet18-small" | "train-default" | "train-96";

/** Options of {@linkcode buildReferenceStep}. */
export interface ReferenceStepOptions {
  /** Images per view; each step forwards 2 x batch images. Default 128. */
  batch?: number;
  /** Seed of the weights and the random images. Default 0. */
  seed?: number;
  /** The encoder to train. Default "reference". */
  encoder?: ReferenceEncoder;
  /**
   * The batch-norm layers of the reference encoder and of both heads: `"fused"` (default),
   * `@selfsup/encoders`' `batchNormalization`, which the library's encoders use and which
   * trains with one fused kernel per direction where the backend has one (blas); or
   * `"stock"`, `tf.layers.batchNormalization`. The resnet18-small encoder always uses the
   * library's layer.
   */
  batchNorm?: "fused" | "stock";
}

/** Makes a batch-norm layer. */
type BatchNormFactory = (args: { name: string }) => tf.layers.Layer;

/** A built reference step; call {@linkcode ReferenceStep.dispose} when done. */
export interface ReferenceStep {
  /** Runs one optimisation step and resolves to its loss. */
  step(): Promise<number>;
  /** Frees the model, the optimizer state and the input batches. */
  dispose(): void;
  /** Forward FLOPs x 3 (forward + two backward products), the usual training estimate. */
  flopsPerStep: number;
  /** Images forwarded per step (2 x batch). */
  imagesPerStep: number;
}

function convBnRelu(
  x: tf.SymbolicTensor,
  filters: number,
  strides: number,
  name: string,
  seed: number,
  bn: BatchNormFactory,
  relu = true,
): tf.SymbolicTensor {
  let y = tf.layers.conv2d({
    filters,
    kernelSize: 3,
    strides,
    padding: "same",
    useBias: false,
    kernelInitializer: tf.initializers.heNormal({ seed }),
    name: `${name}_conv`,
  }).apply(x) as tf.SymbolicTensor;
  y = bn({ name: `${name}_bn` }).apply(y) as tf.SymbolicTensor;
  return relu ? tf.layers.reLU({ name: `${name}_relu` }).apply(y) as tf.SymbolicTensor : y;
}

function basicBlock(
  x: tf.SymbolicTensor,
  filters: number,
  strides: number,
  name: string,
  seed: number,
  bn: BatchNormFactory,
): tf.SymbolicTensor {
  const inputChannels = x.shape[3] as number;
  let shortcut = x;
  if (strides !== 1 || inputChannels !== filters) {
    shortcut = tf.layers.conv2d({
      filters,
      kernelSize: 1,
      strides,
      useBias: false,
      kernelInitializer: tf.initializers.heNormal({ seed: seed + 2 }),
      name: `${name}_shortcut_conv`,
    }).apply(x) as tf.SymbolicTensor;
    shortcut = bn({ name: `${name}_shortcut_bn` }).apply(shortcut) as tf.SymbolicTensor;
  }
  let y = convBnRelu(x, filters, strides, `${name}_1`, seed, bn);
  y = convBnRelu(y, filters, 1, `${name}_2`, seed + 1, bn, false);
  y = tf.layers.add({ name: `${name}_add` }).apply([y, shortcut]) as tf.SymbolicTensor;
  return tf.layers.reLU({ name: `${name}_out` }).apply(y) as tf.SymbolicTensor;
}

function referenceEncoder(seed: number, bn: BatchNormFactory): tf.LayersModel {
  const input = tf.input({ shape: [28, 28, 1], name: "images" });
  let x = convBnRelu(input, 32, 1, "stem", seed + 1, bn);
  x = basicBlock(x, 32, 1, "stage1", seed + 10, bn);
  x = basicBlock(x, 64, 2, "stage2", seed + 20, bn);
  x = basicBlock(x, 128, 2, "stage3", seed + 30, bn);
  const h = tf.layers.globalAveragePooling2d({ name: "pool" }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: h, name: "reference_encoder" });
}

/** A 2-layer MLP head: dense (no bias), batch norm, ReLU, dense. */
export function mlpHead(
  inputDim: number,
  hiddenDim: number,
  outputDim: number,
  seed: number,
  bn: BatchNormFactory,
) {
  const input = tf.input({ shape: [inputDim], name: "h" });
  let x = tf.layers.dense({
    units: hiddenDim,
    useBias: false,
    kernelInitializer: tf.initializers.glorotUniform({ seed }),
    name: "head_dense1",
  }).apply(input) as tf.SymbolicTensor;
  x = bn({ name: "head_bn1" }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ name: "head_relu1" }).apply(x) as tf.SymbolicTensor;
  const z = tf.layers.dense({
    units: outputDim,
    kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }),
    name: "head_dense2",
  }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: z, name: "head" });
}

/**
 * Forward FLOPs of one image through the convolution and dense layers of `model`: the layers
 * whose first weight is a 4-D (convolution, whatever its class: the encoders' strided ones are
 * `SelfsupPaddedConv2D`) or 2-D kernel (dense).
 */
export function forwardFlopsPerImage(model: tf.LayersModel): number {
  let flops = 0;
  for (const layer of model.layers) {
    const kernel = layer.getWeights()[0];
    if (kernel?.rank === 4) {
      const [kh, kw, cin, cout] = kernel.shape;
      const [, oh, ow] = layer.outputShape as number[];
      flops += 2 * oh! * ow! * kh! * kw! * cin! * cout!;
    } else if (kernel?.rank === 2) {
      const [inputDim, units] = kernel.shape;
      flops += 2 * inputDim! * units!;
    }
  }
  return flops;
}

/** The reference step's encoder and projection head, built on the current backend. */
export interface ReferenceModels {
  /** The encoder: the reference network or ResNet-18 with the small stem. */
  encoder: tf.LayersModel;
  /** The 2-layer MLP head (128-128-64 for the reference encoder, 512-512-128 for ResNet-18). */
  head: tf.LayersModel;
}

/**
 * Builds the reference step's models (shared by the bare step and the learner benchmarks).
 *
 * @param options Seed, encoder and batch-norm layer (`batch` is ignored).
 * @returns The encoder and the head; the caller disposes both.
 */
export function buildReferenceModels(options: ReferenceStepOptions = {}): ReferenceModels {
  const { seed = 0, encoder: which = "reference", batchNorm = "fused" } = options;
  const bn: BatchNormFactory = batchNorm === "fused"
    ? batchNormalization
    : (args) => tf.layers.batchNormalization(args);
  // tfjs treats a seed of 0 as "unseeded", so every seed derived below is seed + k with k >= 1.
  if (!Number.isInteger(seed) || seed < 0) {
    throw new RangeError(`seed must be an integer >= 0, got ${seed}`);
  }
  const encoder = which === "reference"
    ? referenceEncoder(seed, bn)
    : which === "train-default"
    ? resNet18({ inputShape: [28, 28, 1], stem: "small", widthMultiplier: 0.25, seed })
    : which === "train-96"
    ? resNet18({ inputShape: [96, 96, 3], stem: "imagenet", widthMultiplier: 0.25, seed })
    : resNet18({ inputShape: [32, 32, 3], stem: "small", seed });
  const representationDim = encoder.outputs[0]!.shape[1] as number;
  const head = which === "reference"
    ? mlpHead(representationDim, 128, 64, seed + 100, bn)
    : which === "train-default" || which === "train-96"
    ? mlpHead(representationDim, 128, 128, seed + 100, bn)
    : mlpHead(representationDim, 512, 128, seed + 100, bn);
  return { encoder, head };
}

/**
 * One SimCLR step on fixed views (both views of N images, as one batch of 2N): encoder and head
 * in training mode, NT-Xent at temperature 0.5, one update of every trainable weight; resolves
 * to the loss.
 */
export function contrastiveStep(
  encoder: tf.LayersModel,
  head: tf.LayersModel,
  views: tf.Tensor,
  optimizer: tf.Optimizer,
): () => Promise<number> {
  const variables = [...encoder.trainableWeights, ...head.trainableWeights]
    .map((w) => w.read() as tf.Variable);
  return async () => {
    const loss = optimizer.minimize(
      () => {
        const h = encoder.apply(views, { training: true }) as tf.Tensor2D;
        const z = head.apply(h, { training: true }) as tf.Tensor2D;
        const [z1, z2] = tf.split(z, 2, 0) as [tf.Tensor2D, tf.Tensor2D];
        return ntXent(z1, z2, { temperature: 0.5, checkValues: false }) as tf.Scalar;
      },
      true,
      variables,
    )!;
    const value = (await loss.data())[0]!;
    loss.dispose();
    return value;
  };
}

/**
 * Builds the reference step on the current backend.
 *
 * @param options Batch, seed, encoder and batch-norm layer.
 * @returns The step, its FLOP count and a disposer.
 */
export function buildReferenceStep(options: ReferenceStepOptions = {}): ReferenceStep {
  const { batch = 128, seed = 0 } = options;
  if (!Number.isInteger(batch) || batch < 2) {
    throw new RangeError(`batch must be an integer >= 2, got ${batch}`);
  }
  const { encoder, head } = buildReferenceModels(options);
  const inputShape = encoder.inputs[0]!.shape.slice(1) as number[];
  // Both views are fixed random images: the step measures compute, not augmentation.
  const views = tf.randomUniform([2 * batch, ...inputShape], 0, 1, "float32", seed + 200);
  const optimizer = tf.train.adam(1e-3);
  const flopsPerStep = 3 * 2 * batch *
    (forwardFlopsPerImage(encoder) + forwardFlopsPerImage(head));

  return {
    step: contrastiveStep(encoder, head, views, optimizer),
    dispose() {
      views.dispose();
      optimizer.dispose();
      encoder.dispose();
      head.dispose();
    },
    flopsPerStep,
    imagesPerStep: 2 * batch,
  };
}
