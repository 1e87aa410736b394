import * as tf from "@tensorflow/tfjs";
import type { Dataset } from "@selfsup/data";
import { accuracy, extractFeatures, knnClassifier, linearProbe } from "@selfsup/eval";
import { inferenceModel } from "@selfsup/encoders";
import { checkInteger, checkNumber, checkOptions, checkSeed, typeError } from "@selfsup/internal";

/** Options of {@linkcode evaluateEncoder} and {@linkcode evaluatePixels}. */
export interface EvaluationOptions {
  /** Neighbours of the kNN classifier (default 200). */
  k?: number;
  /** Temperature of the kNN vote weights `exp(similarity / t)` (default 0.1). */
  temperature?: number;
  /** Epochs of the linear probe (default 30, `linearProbe`'s). */
  probeEpochs?: number;
  /** Integer seed of the linear probe's mini-batch order. */
  seed: number;
  /** Images per forward pass of the encoder (default 256). */
  batchSize?: number;
}

/** Accuracies of a representation, as fractions in [0, 1]. */
export interface Evaluation {
  /** Weighted kNN (cosine) accuracy on the test split, the training split as the bank. */
  knnAccuracy: number;
  /** Linear-probe accuracy on the test split. */
  linearProbeAccuracy: number;
  /** The linear probe's accuracy on the training split (under- vs over-fitting). */
  linearProbeTrainAccuracy: number;
  /** Length of a feature vector. */
  featureDim: number;
}

/** Options of {@linkcode knnMonitor}. */
export interface KnnMonitorOptions {
  /** Neighbours (default 200). */
  k?: number;
  /** Temperature (default 0.1). */
  temperature?: number;
  /** Images per forward pass (default 256). */
  batchSize?: number;
}

/** Options of {@linkcode embed}. */
export interface EmbedOptions {
  /** Images per forward pass (default 256). */
  batchSize?: number;
}

type Features = (images: tf.Tensor4D) => tf.Tensor;

/**
 * Evaluates a trained encoder as SimCLR and BYOL do: the encoder is frozen and run in
 * inference mode (`encoder.apply(x, { training: false })`, so batch norm uses its moving
 * statistics and updates nothing), its representation of every image is computed once, and
 * two classifiers are fitted on the training split's features and scored on the test split:
 * the weighted kNN monitor of InstDisc (Wu et al. 2018, arXiv:1805.01978; cosine similarity,
 * k = 200, votes weighted `exp(similarity / 0.1)`, `knnClassifier` of `@selfsup/eval`) and the
 * linear probe (multinomial logistic regression, `linearProbe` of `@selfsup/eval`).
 *
 * @param encoder The encoder, images `[N, H, W, C]` in [0, 1] -> features (any rank, flattened).
 * @param train Labelled training images: the kNN bank and the probe's training set.
 * @param test Labelled test images.
 * @param options kNN settings, probe epochs, seed, batch size.
 * @returns The accuracies as fractions.
 * @throws {TypeError} If `encoder` is not a `tf.LayersModel`, a split is not a labelled
 *   dataset, or an option has the wrong type.
 * @throws {RangeError} If a split is empty, the two splits' image shapes differ, an option is
 *   out of range, or the encoder gives NaN or infinite features.
 *
 * @example A flattening encoder on 2x2 images of two classes (bright left or right column)
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { fromArrays } from "@selfsup/data";
 * import { evaluateEncoder } from "@selfsup/train/evaluate";
 * import assert from "node:assert/strict";
 *
 * const make = (n: number) =>
 *   fromArrays(
 *     Uint8Array.from({ length: n * 4 }, (_, i) => ((i + Math.floor(i / 4)) % 2 ? 30 : 220)),
 *     [n, 2, 2, 1],
 *     { labels: Array.from({ length: n }, (_, i) => i % 2) },
 *   );
 * const input = tf.input({ shape: [2, 2, 1] });
 * const encoder = tf.model({
 *   inputs: input,
 *   outputs: tf.layers.flatten().apply(input) as tf.SymbolicTensor,
 * });
 * const result = await evaluateEncoder(encoder, make(20), make(10), {
 *   k: 5,
 *   seed: 0,
 *   probeEpochs: 20,
 * });
 * assert.equal(result.featureDim, 4);
 * assert.equal(result.knnAccuracy, 1);
 * assert.equal(result.linearProbeAccuracy, 1);
 * encoder.dispose();
 * ```
 */
export async function evaluateEncoder(
  encoder: tf.LayersModel,
  train: Dataset,
  test: Dataset,
  options: EvaluationOptions,
): Promise<Evaluation> {
  const fn = "evaluateEncoder";
  const model = checkEncoder(fn, encoder);
  checkSplits(fn, train, test);
  return await withFrozen(model, (run) => evaluateFeatures(fn, run, train, test, options));
}

/**
 * The raw-pixel baseline: the same kNN and linear probe as {@linkcode evaluateEncoder}, with
 * each image's pixels, flattened and scaled to [0, 1], as its features. A learnt
 * representation is worth its training only where it beats this.
 *
 * @param train Labelled training images.
 * @param test Labelled test images.
 * @param options kNN settings, probe epochs, seed.
 * @returns The accuracies as fractions.
 * @throws {TypeError} If a split is not a labelled dataset or an option has the wrong type.
 * @throws {RangeError} If a split is empty, the image shapes differ or an option is out of
 *   range.
 *
 * @example Two classes, dark and bright
 * ```ts
 * import { fromArrays } from "@selfsup/data";
 * import { evaluatePixels } from "@selfsup/train/evaluate";
 * import assert from "node:assert/strict";
 *
 * const make = (n: number) =>
 *   fromArrays(
 *     Uint8Array.from({ length: n * 4 }, (_, i) => (Math.floor(i / 4) % 2 ? 250 : 10) + (i % 3)),
 *     [n, 2, 2, 1],
 *     { labels: Array.from({ length: n }, (_, i) => i % 2) },
 *   );
 * const result = await evaluatePixels(make(20), make(10), { k: 3, seed: 0, probeEpochs: 20 });
 * assert.equal(result.featureDim, 4);
 * assert.equal(result.linearProbeAccuracy, 1);
 * ```
 */
export async function evaluatePixels(
  train: Dataset,
  test: Dataset,
  options: EvaluationOptions,
): Promise<Evaluation> {
  const fn = "evaluatePixels";
  checkSplits(fn, train, test);
  return await evaluateFeatures(fn, (x) => x, train, test, options);
}

/**
 * The periodic accuracy of a training run: the weighted kNN classifier of
 * {@linkcode evaluateEncoder} on the frozen encoder's features (inference mode), with `bank`
 * as the labelled memory and `queries` (the validation slice) scored. No linear probe: cheap
 * enough to run every few hundred steps.
 *
 * @param encoder The encoder.
 * @param bank Labelled images whose features vote.
 * @param queries Labelled images to classify.
 * @param options `k` (default 200), `temperature` (default 0.1), `batchSize`.
 * @returns The accuracy on `queries`, a fraction in [0, 1].
 * @throws {TypeError} If `encoder` is not a `tf.LayersModel`, a set is not a labelled dataset
 *   or an option has the wrong type.
 * @throws {RangeError} If a set is empty, the image shapes differ, an option is out of range
 *   or the encoder gives NaN or infinite features.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { fromArrays } from "@selfsup/data";
 * import { knnMonitor } from "@selfsup/train/evaluate";
 * import assert from "node:assert/strict";
 *
 * // A flattening encoder: the features are the pixels.
 * const input = tf.input({ shape: [1, 2, 1] });
 * const encoder = tf.model({
 *   inputs: input,
 *   outputs: tf.layers.flatten().apply(input) as tf.SymbolicTensor,
 * });
 * const bank = fromArrays(new Uint8Array([255, 0, 0, 255]), [2, 1, 2, 1], { labels: [0, 1] });
 * const queries = fromArrays(new Uint8Array([200, 10, 10, 200, 0, 9]), [3, 1, 2, 1], {
 *   labels: [0, 1, 0],
 * });
 * assert.equal(await knnMonitor(encoder, bank, queries, { k: 1 }), 2 / 3);
 * encoder.dispose();
 * ```
 */
export async function knnMonitor(
  encoder: tf.LayersModel,
  bank: Dataset,
  queries: Dataset,
  options: KnnMonitorOptions = {},
): Promise<number> {
  const fn = "knnMonitor";
  const model = checkEncoder(fn, encoder);
  checkSplits(fn, bank, queries, ["bank", "queries"]);
  checkOptions(fn, options);
  const k = checkInteger(fn, "k", options.k ?? 200, { min: 1 });
  const temperature = checkNumber(fn, "temperature", options.temperature ?? 0.1, { above: 0 });
  const batchSize = checkBatchSize(fn, options.batchSize);
  return await withFrozen(model, (run) => knnOf(fn, run, bank, queries, k, temperature, batchSize));
}

async function knnOf(
  fn: string,
  run: Features,
  bank: Dataset,
  queries: Dataset,
  k: number,
  temperature: number,
  batchSize: number,
): Promise<number> {
  const bankFeatures = await features(fn, run, bank, batchSize);
  try {
    const queryFeatures = await features(fn, run, queries, batchSize);
    try {
      const predictions = await knnClassifier(
        { features: bankFeatures, labels: bank.labels! },
        queryFeatures,
        { k, temperature, checkValues: false },
      );
      return accuracy(predictions, queries.labels!);
    } finally {
      queryFeatures.dispose();
    }
  } finally {
    bankFeatures.dispose();
  }
}

/**
 * The frozen encoder's features of every image (inference mode), for the report's 2-D map.
 *
 * @param encoder The encoder.
 * @param images The images (labels not needed).
 * @param options `batchSize`.
 * @returns `[N * D]` features, row-major: image `i`'s features are
 *   `subarray(i * D, (i + 1) * D)` with `D = length / N`.
 * @throws {TypeError} If `encoder` is not a `tf.LayersModel`, `images` not a dataset or an
 *   option has the wrong type.
 * @throws {RangeError} If `batchSize` is out of range or the encoder gives NaN or infinite
 *   features.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { fromArrays } from "@selfsup/data";
 * import { embed } from "@selfsup/train/evaluate";
 * import assert from "node:assert/strict";
 *
 * const input = tf.input({ shape: [1, 2, 1] });
 * const encoder = tf.model({
 *   inputs: input,
 *   outputs: tf.layers.flatten().apply(input) as tf.SymbolicTensor,
 * });
 * const images = fromArrays(new Uint8Array([0, 255, 255, 0]), [2, 1, 2, 1]);
 * const features = await embed(encoder, images); // [2 * 2]: the pixels in [0, 1]
 * assert.deepEqual([...features], [0, 1, 1, 0]);
 * encoder.dispose();
 * ```
 */
export async function embed(
  encoder: tf.LayersModel,
  images: Dataset,
  options: EmbedOptions = {},
): Promise<Float32Array> {
  const fn = "embed";
  const model = checkEncoder(fn, encoder);
  checkDataset(fn, "images", images, false);
  checkOptions(fn, options);
  const batchSize = checkBatchSize(fn, options.batchSize);
  return await withFrozen(model, async (run) => {
    const result = await features(fn, run, images, batchSize);
    try {
      return await result.data<"float32">();
    } finally {
      result.dispose();
    }
  });
}

async function evaluateFeatures(
  fn: string,
  run: Features,
  train: Dataset,
  test: Dataset,
  options: EvaluationOptions,
): Promise<Evaluation> {
  checkOptions(fn, options);
  const k = checkInteger(fn, "k", options.k ?? 200, { min: 1 });
  const temperature = checkNumber(fn, "temperature", options.temperature ?? 0.1, { above: 0 });
  const epochs = checkInteger(fn, "probeEpochs", options.probeEpochs ?? 30, { min: 1 });
  const seed = checkSeed(fn, options.seed);
  const batchSize = checkBatchSize(fn, options.batchSize);
  const trainFeatures = await features(fn, run, train, batchSize);
  try {
    const testFeatures = await features(fn, run, test, batchSize);
    try {
      const bank = { features: trainFeatures, labels: train.labels! };
      const predictions = await knnClassifier(bank, testFeatures, {
        k,
        temperature,
        checkValues: false,
      });
      const probe = await linearProbe(bank, { features: testFeatures, labels: test.labels! }, {
        epochs,
        seed,
        checkValues: false,
      });
      return {
        knnAccuracy: accuracy(predictions, test.labels!),
        linearProbeAccuracy: probe.accuracy,
        linearProbeTrainAccuracy: probe.trainAccuracy,
        featureDim: trainFeatures.shape[1],
      };
    } finally {
      testFeatures.dispose();
    }
  } finally {
    trainFeatures.dispose();
  }
}

/**
 * Runs `use` with the encoder in inference mode: `training: false` makes batch norm use (and
 * leave alone) its moving statistics and turns dropout off. It runs as `inferenceModel` of
 * `@selfsup/encoders` rebuilds it for frozen use (batch norms folded into the convolutions, a
 * ReLU fused into them: a third of the kernels), the same features within float32 rounding.
 */
async function withFrozen<T>(
  encoder: tf.LayersModel,
  use: (run: Features) => Promise<T>,
): Promise<T> {
  // A model made of models (encoder then head, for z) runs as it is: inferenceModel folds
  // one functional graph.
  if (encoder.layers.some((layer) => layer instanceof tf.LayersModel)) {
    return await use((x) => encoder.apply(x, { training: false }) as tf.Tensor);
  }
  const fast = inferenceModel(encoder);
  try {
    return await use((x) => fast.apply(x, { training: false }) as tf.Tensor);
  } finally {
    fast.dispose();
  }
}

/** `[N, D]` float32 features, checked finite here so a broken encoder names our function. */
async function features(
  fn: string,
  run: Features,
  images: Dataset,
  batchSize: number,
): Promise<tf.Tensor2D> {
  const out = await extractFeatures(run, images, { batchSize });
  const values = await out.data<"float32">();
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    out.dispose();
    const dim = Math.max(1, values.length / images.shape[0]);
    throw new RangeError(
      `${fn}(): encoder must give finite features, got ${values[bad]} for image ` +
        `${Math.floor(bad / dim)}`,
    );
  }
  return out;
}

function checkEncoder(fn: string, encoder: unknown): tf.LayersModel {
  if (!(encoder instanceof tf.LayersModel)) {
    throw typeError(fn, "encoder", "a tf.LayersModel", encoder);
  }
  return encoder;
}

function checkBatchSize(fn: string, value: unknown): number {
  return checkInteger(fn, "batchSize", value ?? 256, { min: 1 });
}

function checkDataset(fn: string, name: string, value: unknown, labelled: boolean): Dataset {
  const ds = value as Dataset | null;
  const isDataset = typeof ds === "object" && ds !== null && ds.images instanceof Uint8Array &&
    Array.isArray(ds.shape) && ds.shape.length === 4 &&
    ds.images.length === ds.shape.reduce((a, b) => a * b, 1);
  if (!isDataset || (labelled && !(ds.labels instanceof Int32Array))) {
    const what = labelled ? "a labelled dataset of @selfsup/data" : "a dataset of @selfsup/data";
    throw typeError(fn, name, what, value);
  }
  return ds;
}

function checkSplits(
  fn: string,
  train: unknown,
  test: unknown,
  names: [string, string] = ["train", "test"],
): void {
  const a = checkDataset(fn, names[0], train, true);
  const b = checkDataset(fn, names[1], test, true);
  for (const [name, ds] of [[names[0], a], [names[1], b]] as const) {
    if (ds.shape[0] === 0) {
      throw new RangeError(`${fn}(): ${name} must hold at least one image, got 0`);
    }
  }
  if (a.shape.slice(1).some((d, i) => d !== b.shape[i + 1])) {
    throw new RangeError(
      `${fn}(): ${names[1]} must have images of the shape of ${names[0]}'s ` +
        `[${a.shape.slice(1).join(", ")}], got [${b.shape.slice(1).join(", ")}]`,
    );
  }
}
