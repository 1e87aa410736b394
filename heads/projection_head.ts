import * as tf from "@tensorflow/tfjs";
import {
  applyBatchNorm,
  applyRelu,
  applyTo,
  checkBoolean,
  checkInteger,
  checkModelName,
  checkOptions,
  checkSeed,
  layerSeed,
} from "@selfsup/internal";

/** Options of {@linkcode projectionHead}. */
export interface ProjectionHeadOptions {
  /** Width D of the representation h the head takes, `[N, D]`. */
  inputDim: number;
  /** Width of the middle layers; default `inputDim`, as SimCLR. */
  hiddenDim?: number;
  /** Width of the projection z; default 128, as SimCLR. */
  outputDim?: number;
  /**
   * Number of linear layers: 2 for SimCLR, 3 for SimCLRv2, 1 for a linear projection, 0 for
   * the identity (no head). Default 2.
   */
  layers?: number;
  /** Batch norm after every linear layer, as google-research/simclr tf2. Default true. */
  batchNorm?: boolean;
  /** Integer seed of every initializer. */
  seed: number;
  /** Model name; default `"projection_head"`. */
  name?: string;
}

/**
 * Builds the projection head g of SimCLR (Chen et al. 2020, "A Simple Framework for
 * Contrastive Learning of Visual Representations", arXiv:2002.05709) and SimCLRv2 (Chen et
 * al. 2020, "Big Self-Supervised Models are Strong Semi-Supervised Learners",
 * arXiv:2006.10029), mapping h `[N, inputDim]` to z `[N, outputDim]`.
 *
 * The layers follow google-research/simclr `tf2/model.py` (`ProjectionHead`, mode
 * "nonlinear"):
 *
 * - layer j < `layers` (middle): Dense(`hiddenDim`) -> BN -> ReLU, named `layer<j>_dense`,
 *   `layer<j>_bn`, `layer<j>_relu`;
 * - layer `layers` (last): Dense(`outputDim`) -> BN without beta, no ReLU, named
 *   `layer<L>_dense`, `layer<L>_bn`.
 *
 * Dense layers have no bias when batch norm follows (its beta takes that role); with
 * `batchNorm: false` middle layers get a bias and the last layer has none, the same
 * `use_bias and not use_bn` rule as the reference. Kernels start from N(0, 0.01^2), biases
 * and beta at 0, gamma at 1; BN momentum 0.9, epsilon 1e-5, built from the fused
 * `batchNormalization` layer of `@selfsup/encoders` (tfjs's layer, one kernel per direction in
 * training where the backend has one).
 *
 * The last BN's beta exists but is frozen at 0 (not in `trainableWeights`), because tfjs 4.22
 * cannot train a `batchNormalization` built with `center: false`. Which variables are
 * trainable is not stored in model files: after loading a head from disk, that beta is
 * trainable again unless you set `trainable = false` on it.
 *
 * `layers: 1` is SimCLR's "linear" head (Dense -> BN) and `layers: 0` its "none" (the model
 * returns its input), for the paper's ablation. Use {@linkcode headUpTo} to take the output
 * of a middle layer (SimCLRv2 fine-tunes from layer 1 of its 3-layer head).
 *
 * @param options Dimensions, depth, batch norm switch, seed and name.
 * @returns An uncompiled `tf.LayersModel`; the caller disposes it. Call it with
 *   `apply(h, { training: true })` while pretraining so batch norm uses and updates batch
 *   statistics.
 * @throws {TypeError} If `options` is not an object, a dimension, `layers` or `seed` is not a
 *   number, `batchNorm` is not a boolean or `name` is not a non-empty string.
 * @throws {RangeError} If a dimension is not an integer >= 1, `layers` not an integer >= 0 or
 *   `seed` not a safe integer, naming the value.
 *
 * @example SimCLRv2's 3-layer head on a 64-wide representation
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { projectionHead } from "@selfsup/heads";
 * import assert from "node:assert/strict";
 *
 * const head = projectionHead({ inputDim: 64, outputDim: 32, layers: 3, seed: 0 });
 * const h = tf.randomNormal([8, 64], 0, 1, "float32", 1);
 * const z = head.apply(h, { training: true }) as tf.Tensor;
 * assert.deepEqual(z.shape, [8, 32]);
 * tf.dispose([h, z]);
 * head.dispose();
 * ```
 */
export function projectionHead(options: ProjectionHeadOptions): tf.LayersModel {
  const fn = "projectionHead";
  checkOptions(fn, options);
  const {
    inputDim,
    hiddenDim = inputDim,
    outputDim = 128,
    layers = 2,
    batchNorm: useBn = true,
    seed,
    name = "projection_head",
  } = options;
  checkInteger(fn, "inputDim", inputDim, { min: 1 });
  checkInteger(fn, "hiddenDim", hiddenDim, { min: 1 });
  checkInteger(fn, "outputDim", outputDim, { min: 1 });
  checkInteger(fn, "layers", layers, { min: 0 });
  checkBoolean(fn, "batchNorm", useBn);
  checkSeed(fn, seed);
  checkModelName(fn, name);

  const input = tf.input({ shape: [inputDim], name: "input" });
  let x = input;
  for (let j = 1; j <= layers; j++) {
    const last = j === layers;
    const p = `layer${j}`;
    x = applyTo(
      tf.layers.dense({
        name: `${p}_dense`,
        units: last ? outputDim : hiddenDim,
        useBias: !last && !useBn,
        kernelInitializer: tf.initializers.randomNormal({
          mean: 0,
          stddev: 0.01,
          seed: layerSeed(seed, `${p}_dense`),
        }),
      }),
      x,
    );
    if (useBn) x = applyBatchNorm(x, `${p}_bn`, { center: !last });
    if (!last) x = applyRelu(x, `${p}_relu`);
  }
  return tf.model({ inputs: input, outputs: x, name });
}
