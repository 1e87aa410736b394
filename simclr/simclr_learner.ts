import * as tf from "@tensorflow/tfjs";
import { simclrViews, smallImageViews } from "@selfsup/augment";
import { type Dataset, toImageTensor } from "@selfsup/data";
import { projectionHead } from "@selfsup/heads";
import {
  checkBoolean,
  checkDistinct,
  checkEncoder,
  checkHead,
  checkImages,
  checkKeys,
  checkNumber,
  checkOptions,
  checkSeed,
  checkUnitRange,
  checkViews,
  deriveSeed,
  type EncoderShape,
  isDataset,
  LearnerCore,
  resolveSchedule,
  type TensorRecord,
  typeError,
} from "@selfsup/internal";
import { ntXent } from "@selfsup/losses";
import { lars, linearScaledLr, setLearningRate, warmupCosine } from "@selfsup/optim";
import { contrastiveMonitors } from "./_monitors.ts";

/** What the learner passes to its view preset each step. */
export interface ViewPresetOptions {
  /** The step's seed, `deriveSeed(learner seed, step)`; the preset derives one per view. */
  seed: number;
  /** Output `[height, width]`: the encoder's input size (or the images' when it is free). */
  size: [number, number];
  /** Always false: the learner checks its input once at the boundary. */
  checkValues: boolean;
}

/**
 * Makes the two views of a batch: `smallImageViews`, `simclrViews` or `byolViews` of
 * `@selfsup/augment`, or any function of that shape. It returns two new `[N, height, width, C]`
 * tensors; the learner disposes them.
 */
export type ViewPreset = (
  images: tf.Tensor4D,
  options: ViewPresetOptions,
) => [tf.Tensor4D, tf.Tensor4D];

/** Options of {@linkcode simclrLearner}. */
export interface SimclrLearnerOptions {
  /**
   * The encoder f: any `tf.LayersModel` from `[N, H, W, C]` images to the representation h
   * `[N, D]` (e.g. `resNet18` of `@selfsup/encoders`). It stays the caller's: the learner
   * trains it in place and never disposes it.
   */
  encoder: tf.LayersModel;
  /**
   * The projection head g from `[N, D]` to z `[N, P]`: `projectionHead` of `@selfsup/heads`
   * with `layers: 2` (SimCLR) or `layers: 3` (SimCLRv2), or any model. Its input width must be
   * the encoder's D. Default: SimCLR's 2-layer head, `projectionHead({ inputDim: D })` (hidden
   * D, output 128, batch norm), seeded from `seed`; the learner owns (and disposes) a head it
   * built, a head passed in stays the caller's.
   */
  head?: tf.LayersModel;
  /** Integer seed of the views (and of the default head's initial weights). Required. */
  seed: number;
  /**
   * The view preset. Default by the view size (the encoder's input size): `smallImageViews`
   * (SimCLR's CIFAR-10 recipe, colour strength 0.5, no blur) at <= 32 px, `simclrViews` (the
   * ImageNet recipe) above.
   */
  views?: ViewPreset;
  /**
   * NT-Xent temperature, > 0. Default 0.5 at <= 32 px, the paper's CIFAR-10 setting (SimCLR,
   * appendix B.9), and 0.1 above, its ImageNet setting (section 5.1; google-research/simclr's
   * `--temperature` default).
   */
  temperature?: number;
  /**
   * Any `tf.Optimizer`. Default: LARS of `@selfsup/optim` with momentum 0.9, weight decay
   * 1e-6 and trust coefficient 0.001, batch-norm parameters and biases excluded from both
   * (SimCLR, section 2.3; google-research/simclr); the learner owns (and disposes) the default
   * optimizer, an optimizer passed in stays the caller's.
   */
  optimizer?: tf.Optimizer;
  /**
   * The learning rate: a constant, or a function from the step to the rate (a finite number
   * >= 0), set before each step with `setLearningRate`. When omitted with the default
   * optimizer: SimCLR's schedule, linear warmup then cosine decay (`warmupCosine`) to a peak
   * of 0.3 x batchSize / 256 (`linearScaledLr`, SimCLR section 2.3), which needs `batchSize`
   * and `totalSteps`. When omitted with an optimizer passed in: that optimizer keeps its own
   * rate.
   */
  learningRate?: number | ((step: number) => number);
  /** Images per batch (N, not 2N): scales the default schedule's peak rate. */
  batchSize?: number;
  /** Length of the default schedule: the cosine reaches 0 at this step. */
  totalSteps?: number;
  /**
   * Linear warmup steps of the default schedule. Default `round(totalSteps / 10)`: SimCLR
   * warms up for 10 epochs of a 100-epoch run.
   */
  warmupSteps?: number;
  /**
   * Read float images back once per step to check that they lie in [0, 1] (one read of three
   * numbers; on GPU backends a round trip). Uint8 batches are never checked: they are in range
   * by construction. Default true.
   */
  checkValues?: boolean;
}

/** Options of {@linkcode SimclrLearner.step}. */
export interface SimclrStepOptions {
  /**
   * The step's index, an integer >= 0: it seeds the views (`deriveSeed(seed, step)`) and
   * sets the scheduled learning rate. Default: {@linkcode SimclrLearner.steps}.
   */
  step?: number;
}

/** What one step reports: plain numbers, read back from the device in one transfer. */
export interface SimclrStepResult {
  /** The step's index. */
  step: number;
  /** NT-Xent, the mean over the 2N anchors; log(2N - 1) for a collapsed batch. */
  loss: number;
  /** The learning rate the step used. */
  learningRate: number;
  /** Mean cosine similarity of the two views of an image (in z space). */
  positiveCosine: number;
  /** Mean cosine similarity of views of different images (near 1 means collapse). */
  negativeCosine: number;
  /**
   * Fraction of the 2N views whose positive is the most similar of the 2N - 1 others: the
   * contrastive task's top-1 accuracy (chance: 1 / (2N - 1)).
   */
  contrastiveAccuracy: number;
}

/**
 * A SimCLR learner's whole state as plain, structured-cloneable data: the step counter, every
 * weight of the encoder and the head (batch-norm moving statistics included) and the
 * optimizer's state (iteration count and slots).
 */
export interface SimclrState {
  /** Always "simclr". */
  method: "simclr";
  /** The step counter ({@linkcode SimclrLearner.steps}). */
  step: number;
  /** The models' weights, in each model's weight order. */
  models: { encoder: TensorRecord[]; head: TensorRecord[] };
  /** The optimizer's state. */
  optimizer: TensorRecord[];
}

const OPTIONS = [
  "encoder",
  "head",
  "seed",
  "views",
  "temperature",
  "optimizer",
  "learningRate",
  "batchSize",
  "totalSteps",
  "warmupSteps",
  "checkValues",
] as const;
// The default head's seed stream, apart from the per-step view seeds deriveSeed(seed, step).
const HEAD_STREAM = 0x68656164;
const SMALL_IMAGE_PX = 32;

/**
 * The SimCLR / SimCLRv2 pretraining step on any encoder and head, driven by the caller's own
 * loop; build one with {@linkcode simclrLearner}.
 *
 * SimCLR: "A Simple Framework for Contrastive Learning of Visual Representations" (Chen,
 * Kornblith, Norouzi and Hinton, 2020, arXiv:2002.05709); SimCLRv2 (its 3-layer head): "Big
 * Self-Supervised Models are Strong Semi-Supervised Learners" (Chen et al., 2020,
 * arXiv:2006.10029).
 *
 * Each {@linkcode SimclrLearner.step} makes two views of the batch, runs both through the
 * encoder and the head as ONE batch of 2N in training mode, computes NT-Xent on the two halves
 * of z and applies the gradients to every trainable weight of the encoder and the head.
 * Running both views as one batch makes batch normalisation use statistics over all 2N views:
 * the single-device form of the paper's global batch norm, which aggregates the statistics
 * over all devices so that they cannot leak which views belong together ("Global BN", section 2.2).
 *
 * Ownership: the encoder, and the head and optimizer when passed in, are the caller's; the
 * learner trains them in place and never disposes them. {@linkcode SimclrLearner.dispose}
 * frees what the learner built itself (the default head, the default optimizer).
 */
export class SimclrLearner {
  /** The encoder f (the caller's). */
  readonly encoder: tf.LayersModel;
  /** The projection head g. */
  readonly head: tf.LayersModel;
  /** The optimizer. */
  readonly optimizer: tf.Optimizer;
  /** The view preset in use. */
  readonly views: ViewPreset;
  /** The NT-Xent temperature in use. */
  readonly temperature: number;
  /** The learner's seed. */
  readonly seed: number;

  readonly #shape: EncoderShape;
  readonly #checkValues: boolean;
  readonly #core: LearnerCore<"simclr", "encoder" | "head">;

  /**
   * Builds a learner; {@linkcode simclrLearner} is the same as `new SimclrLearner(options)`.
   *
   * @param options See {@linkcode SimclrLearnerOptions}.
   * @throws {TypeError} If an option has the wrong type (a model of the wrong rank, an unknown
   * option name) or a default needs the view size and the encoder does not fix it.
   * @throws {RangeError} If a number is out of range or the head's input width is not the
   * encoder's output width.
   */
  constructor(options: SimclrLearnerOptions) {
    const fn = "simclrLearner";
    checkOptions(fn, options);
    checkKeys(fn, options, OPTIONS);
    this.seed = checkSeed(fn, options.seed);
    this.#shape = checkEncoder(fn, options.encoder);
    this.encoder = options.encoder;
    if (options.head !== undefined) {
      checkHead(fn, "head", options.head, this.#shape.dim, "the encoder's output");
      checkDistinct(fn, { encoder: this.encoder, head: options.head });
    }
    const { height, width } = this.#shape;
    const small = height === null || width === null
      ? null
      : height <= SMALL_IMAGE_PX && width <= SMALL_IMAGE_PX;
    const needSize = (name: string) => {
      if (small === null) {
        throw typeError(
          fn,
          name,
          "given when the encoder's input height and width are not fixed (its default " +
            "depends on them)",
          undefined,
        );
      }
      return small;
    };
    if (options.views !== undefined && typeof options.views !== "function") {
      throw typeError(fn, "views", "a view preset function", options.views);
    }
    this.views = options.views ?? (needSize("views") ? smallImageViews : simclrViews);
    this.temperature = options.temperature === undefined
      ? (needSize("temperature") ? 0.5 : 0.1)
      : checkNumber(fn, "temperature", options.temperature, { above: 0 });
    if (options.optimizer !== undefined && !(options.optimizer instanceof tf.Optimizer)) {
      throw typeError(fn, "optimizer", "a tf.Optimizer", options.optimizer);
    }
    const schedule = resolveSchedule(fn, options, {
      // SimCLR warms up for 10 epochs of a 100-epoch run.
      warmupSteps: (totalSteps) => Math.round(totalSteps / 10),
      schedule: ({ batchSize, warmupSteps, totalSteps }) =>
        warmupCosine({ baseLr: linearScaledLr(0.3, batchSize), warmupSteps, totalSteps }),
    });
    this.#checkValues = checkBoolean(fn, "checkValues", options.checkValues ?? true);

    // Built last, once every option is known to be valid, so a bad option leaks nothing.
    const ownsHead = options.head === undefined;
    this.head = options.head ?? projectionHead({
      inputDim: this.#shape.dim,
      seed: deriveSeed(this.seed, HEAD_STREAM),
    });
    const variables = new Set(
      [...this.encoder.trainableWeights, ...this.head.trainableWeights]
        .map((w) => w.read() as tf.Variable),
    );
    if (variables.size === 0) {
      if (ownsHead) this.head.dispose();
      throw new RangeError(
        `${fn}(): encoder and head must have at least one trainable weight, got none`,
      );
    }
    this.optimizer = options.optimizer ??
      lars({ learningRate: 0, momentum: 0.9, weightDecay: 1e-6 });
    this.#core = new LearnerCore({
      learner: "SimclrLearner",
      method: "simclr",
      models: { encoder: this.encoder, head: this.head },
      variables: [...variables],
      optimizer: this.optimizer,
      schedule,
      owned: [
        ...(options.optimizer === undefined ? [this.optimizer] : []),
        ...(ownsHead ? [this.head] : []),
      ],
    });
  }

  /** Steps taken: the default index of the next step (restored by `setState`). */
  get steps(): number {
    return this.#core.steps;
  }

  /**
   * One SimCLR step on a batch: two views seeded from (seed, step), encoder and head on all
   * 2N views at once in training mode, NT-Xent, one optimizer update. Every input is checked
   * before anything changes; inside the step nothing is read back except the result (one
   * transfer of four numbers).
   *
   * If the step diverges, the loss is NaN and the weights hold NaN: stop and restore a state
   * saved with {@linkcode SimclrLearner.getState}.
   *
   * @param images The batch: a float32 `[N, H, W, C]` tensor in [0, 1] (not disposed), or a
   * uint8 `Dataset` / `Batch` of `@selfsup/data`; N >= 2, C the encoder's channels. Any H, W:
   * the views are cropped and resized to the encoder's input size.
   * @param options The step's index (default: {@linkcode SimclrLearner.steps}).
   * @returns The loss, learning rate and contrastive monitors as plain numbers.
   * @throws {TypeError} If `images` is not such a tensor or dataset, or an option has the
   * wrong type.
   * @throws {RangeError} If N < 2, the channels differ from the encoder's, a float value is
   * outside [0, 1] (when checked), `step` is not an integer >= 0, or the learning rate for
   * the step is not a finite number >= 0.
   * @throws {Error} If the learner was disposed, or a previous step has not finished.
   *
   * @example One step on random images
   * ```ts
   * import * as tf from "@tensorflow/tfjs";
   * import assert from "node:assert/strict";
   * import { smallConvNet } from "@selfsup/encoders";
   * import { simclrLearner } from "@selfsup/simclr";
   *
   * const encoder = smallConvNet({ inputShape: [8, 8, 1], filters: [4], seed: 1 });
   * const learner = simclrLearner({ encoder, seed: 7, learningRate: 0.1 });
   * const images = tf.randomUniform([4, 8, 8, 1], 0, 1, "float32", 2) as tf.Tensor4D;
   * const result = await learner.step(images);
   * assert.equal(result.step, 0);
   * assert.ok(result.loss > 0 && result.loss < 2 * Math.log(7));
   * assert.equal(learner.steps, 1);
   * images.dispose();
   * learner.dispose();
   * encoder.dispose();
   * ```
   */
  async step(
    images: tf.Tensor4D | Dataset,
    options: SimclrStepOptions = {},
  ): Promise<SimclrStepResult> {
    const fn = "SimclrLearner.step";
    const core = this.#core;
    const step = core.resolveStep(fn, options);
    const [, h, w] = checkImages(fn, images, this.#shape.channels);
    const learningRate = core.learningRate(fn, step);
    const size: [number, number] = [this.#shape.height ?? h, this.#shape.width ?? w];

    return await core.run(async () => {
      const converted = isDataset(images) ? toImageTensor(images) : undefined;
      try {
        const x = converted ?? images as tf.Tensor4D;
        if (converted === undefined && this.#checkValues) await checkUnitRange(fn, x);
        // Nothing has changed up to here.
        if (core.scheduled) setLearningRate(this.optimizer, learningRate);
        const monitors = this.#train(fn, x, deriveSeed(this.seed, step), size);
        const [loss, positiveCosine, negativeCosine, contrastiveAccuracy] = await monitors.data();
        monitors.dispose();
        core.steps += 1;
        return { step, loss, learningRate, positiveCosine, negativeCosine, contrastiveAccuracy };
      } finally {
        converted?.dispose();
      }
    });
  }

  // Views -> encoder -> head -> NT-Xent -> update, in one tidy. Returns
  // [loss, positive cosine, negative cosine, accuracy] for one read-back.
  #train(fn: string, images: tf.Tensor4D, seed: number, size: [number, number]): tf.Tensor1D {
    return tf.tidy(() => {
      const views = this.views(images, { seed, size, checkValues: false });
      checkViews(fn, views, [images.shape[0], ...size, images.shape[3]]);
      const batch = tf.concat(views, 0); // [2N, H, W, C]: view 1 images, then view 2
      let z: tf.Tensor2D | undefined;
      try {
        const { value, grads } = tf.variableGrads(() => {
          const h = this.encoder.apply(batch, { training: true }) as tf.Tensor2D; // [2N, D]
          // Kept past the gradient's tidy for the monitors (disposed below).
          z = tf.keep(this.head.apply(h, { training: true }) as tf.Tensor2D); // [2N, P]
          const [z1, z2] = tf.split(z, 2, 0) as [tf.Tensor2D, tf.Tensor2D]; // [N, P] each
          return ntXent(z1, z2, { temperature: this.temperature, checkValues: false });
        }, this.#core.variables);
        this.optimizer.applyGradients(grads);
        return tf.concat([tf.reshape(value, [1]), contrastiveMonitors(z!)]) as tf.Tensor1D;
      } finally {
        z?.dispose();
      }
    });
  }

  /**
   * The learner's state as plain data (see {@linkcode SimclrState}): pass it to
   * {@linkcode SimclrLearner.setState} of a learner built the same way to continue
   * bit-identically on the same backend. Holds no tensors; structured-cloneable.
   *
   * @returns A copy of the step counter, the models' weights and the optimizer's state.
   * @throws {Error} If the learner was disposed, or a step has not finished.
   *
   * @example Save after a step, restore into a fresh learner
   * ```ts
   * import * as tf from "@tensorflow/tfjs";
   * import assert from "node:assert/strict";
   * import { smallConvNet } from "@selfsup/encoders";
   * import { simclrLearner } from "@selfsup/simclr";
   *
   * const build = () => {
   *   const encoder = smallConvNet({ inputShape: [8, 8, 1], filters: [4], seed: 1 });
   *   return simclrLearner({ encoder, seed: 7, learningRate: 0.1 });
   * };
   * const images = tf.randomUniform([4, 8, 8, 1], 0, 1, "float32", 2) as tf.Tensor4D;
   * const learner = build();
   * await learner.step(images);
   * const state = await learner.getState();
   * assert.equal(state.step, 1);
   *
   * const resumed = build();
   * await resumed.setState(structuredClone(state));
   * assert.equal(resumed.steps, 1);
   * const [a, b] = [await learner.step(images), await resumed.step(images)];
   * assert.equal(a.loss, b.loss);
   * for (const l of [learner, resumed]) {
   *   l.dispose();
   *   l.encoder.dispose();
   * }
   * images.dispose();
   * ```
   */
  getState(): Promise<SimclrState> {
    return this.#core.getState();
  }

  /**
   * Restores a state made by {@linkcode SimclrLearner.getState} into this learner (built with
   * the same architecture and optimizer type): the models' weights in place, the optimizer's
   * state and the step counter. Everything is checked first: a state that does not fit
   * changes nothing. tfjs's Adam recomputes its beta powers on restore, so with Adam the next
   * steps may differ in the last bits; LARS and momentum continue exactly.
   *
   * @param state The state; it is copied, not kept.
   * @throws {TypeError} If `state` or a part of it has the wrong type.
   * @throws {RangeError} If it is not a SimCLR state, or its records do not match this
   * learner's weights (count, shapes, dtypes) or trainable variables.
   * @throws {Error} If the learner was disposed, or a step has not finished.
   *
   * @example A state from another architecture is refused
   * ```ts
   * import assert from "node:assert/strict";
   * import { smallConvNet } from "@selfsup/encoders";
   * import { simclrLearner } from "@selfsup/simclr";
   *
   * const small = smallConvNet({ inputShape: [8, 8, 1], filters: [4], seed: 1 });
   * const wide = smallConvNet({ inputShape: [8, 8, 1], filters: [6], seed: 1 });
   * const a = simclrLearner({ encoder: small, seed: 7, learningRate: 0.1 });
   * const b = simclrLearner({ encoder: wide, seed: 7, learningRate: 0.1 });
   * await assert.rejects(b.setState(await a.getState()), RangeError);
   * for (const l of [a, b]) {
   *   l.dispose();
   *   l.encoder.dispose();
   * }
   * ```
   */
  setState(state: SimclrState): Promise<void> {
    return this.#core.setState(state);
  }

  /**
   * Frees what the learner built: the default optimizer's state and the default head. The
   * encoder, and a head or optimizer passed in, stay the caller's to dispose. Calling it twice
   * does nothing; the learner cannot be used afterwards.
   *
   * @example
   * ```ts
   * import * as tf from "@tensorflow/tfjs";
   * import assert from "node:assert/strict";
   * import { smallConvNet } from "@selfsup/encoders";
   * import { simclrLearner } from "@selfsup/simclr";
   *
   * const encoder = smallConvNet({ inputShape: [8, 8, 1], filters: [4], seed: 1 });
   * const before = tf.memory().numTensors;
   * const learner = simclrLearner({ encoder, seed: 7, learningRate: 0.1 });
   * learner.dispose();
   * assert.equal(tf.memory().numTensors, before);
   * encoder.dispose();
   * ```
   */
  dispose(): void {
    this.#core.dispose();
  }
}

/**
 * Builds a SimCLR / SimCLRv2 learner (see {@linkcode SimclrLearner}) from an encoder, an
 * optional head, view preset, temperature and optimizer, and a seed. Every default is the
 * paper's (see {@linkcode SimclrLearnerOptions}).
 *
 * @param options See {@linkcode SimclrLearnerOptions}.
 * @returns The learner; call its `dispose()` when done.
 * @throws {TypeError} If an option has the wrong type (a model of the wrong rank, an unknown
 * option name) or a default needs the view size and the encoder does not fix it.
 * @throws {RangeError} If a number is out of range or the head's input width is not the
 * encoder's output width.
 *
 * @example SimCLRv2's 3-layer head, the paper's schedule for 100 steps of 256 images
 * ```ts
 * import assert from "node:assert/strict";
 * import { resNet18 } from "@selfsup/encoders";
 * import { projectionHead } from "@selfsup/heads";
 * import { simclrLearner } from "@selfsup/simclr";
 *
 * const encoder = resNet18({ inputShape: [28, 28, 1], widthMultiplier: 0.125, seed: 1 });
 * const head = projectionHead({ inputDim: 64, layers: 3, seed: 2 });
 * const learner = simclrLearner({ encoder, head, seed: 3, batchSize: 256, totalSteps: 100 });
 * assert.equal(learner.temperature, 0.5); // 28 px: the CIFAR-10 setting
 * assert.equal(learner.optimizer.getClassName(), "LARSOptimizer");
 * learner.dispose();
 * head.dispose();
 * encoder.dispose();
 * ```
 *
 * @example A head that does not fit the encoder is refused
 * ```ts
 * import assert from "node:assert/strict";
 * import { smallConvNet } from "@selfsup/encoders";
 * import { projectionHead } from "@selfsup/heads";
 * import { simclrLearner } from "@selfsup/simclr";
 *
 * const encoder = smallConvNet({ inputShape: [8, 8, 1], filters: [4], seed: 1 });
 * const head = projectionHead({ inputDim: 16, seed: 2 });
 * assert.throws(() => simclrLearner({ encoder, head, seed: 3, learningRate: 0.1 }), {
 *   name: "RangeError",
 *   message: /^simclrLearner\(\): head must be a tf.LayersModel from \[N, 4\]/,
 * });
 * head.dispose();
 * encoder.dispose();
 * ```
 */
export function simclrLearner(options: SimclrLearnerOptions): SimclrLearner {
  return new SimclrLearner(options);
}
