import * as tf from "@tensorflow/tfjs";
import { byolViews } from "@selfsup/augment";
import { type Dataset, toImageTensor } from "@selfsup/data";
import { byolPredictor, byolProjector } from "@selfsup/heads";
import {
  checkBoolean,
  checkDistinct,
  checkEncoder,
  checkHead,
  checkImages,
  checkInteger,
  checkKeys,
  checkNumber,
  checkOneOf,
  checkOptions,
  checkSeed,
  checkUnitRange,
  checkViews,
  deriveSeed,
  type EncoderShape,
  isDataset,
  LearnerCore,
  type TensorRecord,
  typeError,
} from "@selfsup/internal";
import { byolLoss } from "@selfsup/losses";
import {
  cosineMomentum,
  lars,
  linearScaledLr,
  setLearningRate,
  warmupCosine,
} from "@selfsup/optim";
import { averageInto, emaPairs } from "./_ema_pairs.ts";
import { copyLayersModel } from "./_copy_layers_model.ts";

/** BYOL's base learning rate, scaled by batch size / 256 (paper, section 3.3 and appendix). */
export const BYOL_BASE_LEARNING_RATE = 0.2;
/** BYOL's weight decay for LARS, biases and batch-norm parameters excluded (paper, 3.3). */
export const BYOL_WEIGHT_DECAY = 1.5e-6;
/** BYOL's base target momentum tau_base, raised to 1 by a cosine schedule (paper, 3.3). */
export const BYOL_BASE_TAU = 0.996;

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
 * Makes the two views of a batch: two new float32 tensors `[N, height, width, C]` (the
 * learner disposes them). `byolViews`, `simclrViews` and `smallImageViews` of
 * `@selfsup/augment` fit as they are (the same type as `@selfsup/simclr`'s).
 */
export type ViewPreset = (
  images: tf.Tensor4D,
  options: ViewPresetOptions,
) => [tf.Tensor4D, tf.Tensor4D];

/** Options of {@linkcode byolLearner}. */
export interface ByolLearnerOptions {
  /**
   * The encoder f: any `tf.LayersModel` from `[N, H, W, C]` images to the representation
   * `[N, D]` (e.g. `resNet18` of `@selfsup/encoders`). It stays the caller's: the learner
   * trains it in place and never disposes it.
   */
  encoder: tf.LayersModel;
  /**
   * BYOL's projector g `[N, D] -> [N, P]`. Default: `byolProjector` of `@selfsup/heads` with
   * the paper's sizes (hidden 4096, output P = 256), seeded from `seed`; the learner owns (and
   * disposes) a head it built, a head passed in stays the caller's.
   */
  projector?: tf.LayersModel;
  /**
   * BYOL's predictor q `[N, P] -> [N, P]`. Default: `byolPredictor` with the paper's sizes
   * (hidden 4096, output P), seeded from `seed`; owned as the projector.
   */
  predictor?: tf.LayersModel;
  /** Integer seed of the views (and of the default heads' initial weights). Required. */
  seed: number;
  /**
   * The view preset. Default: `byolViews` of `@selfsup/augment`, the paper's asymmetric pair
   * (table 6), at every image size: the views are cropped and resized to the encoder's input
   * size (or the images' size when the encoder does not fix it).
   */
  views?: ViewPreset;
  /**
   * Any `tf.Optimizer`. Default: LARS of `@selfsup/optim` with BYOL's settings (section 3.3
   * and appendix C): momentum 0.9, trust coefficient 0.001, weight decay 1.5e-6, biases and
   * batch-norm parameters excluded from both; the learner owns (and disposes) the default
   * optimizer, an optimizer passed in stays the caller's.
   */
  optimizer?: tf.Optimizer;
  /**
   * The learning rate: a constant, or a function from the step to the rate (a finite number
   * >= 0), set before each step with `setLearningRate`. When omitted with the default
   * optimizer: BYOL's schedule, linear warmup then cosine decay (`warmupCosine`) to a peak of
   * 0.2 x batchSize / 256 (`linearScaledLr`; the paper's section 3.3 — deepmind's released
   * config uses 2.0), which needs `batchSize` and `totalSteps`. When omitted with an optimizer
   * passed in: that optimizer keeps its own rate.
   */
  learningRate?: number | ((step: number) => number);
  /** Images per batch: scales the default schedule's peak rate. */
  batchSize?: number;
  /**
   * Length of the run: the default learning rate reaches 0 and the default tau reaches 1 at
   * this step.
   */
  totalSteps?: number;
  /**
   * Linear warmup steps of the default learning-rate schedule, in [0, totalSteps]. Default
   * `round(totalSteps / 100)`: BYOL warms up for 10 epochs of a 1000-epoch run.
   */
  warmupSteps?: number;
  /**
   * The target momentum tau in [0, 1]: a constant, or a function from the step to tau.
   * Default: the paper's schedule `1 - (1 - 0.996) (cos(pi k / K) + 1) / 2` (`cosineMomentum`,
   * tau_base 0.996 from section 3.3), from 0.996 at step 0 to 1 at K = `totalSteps`.
   */
  tau?: number | ((step: number) => number);
  /**
   * How the two views meet batch norm. `"per-view"` (default), as deepmind's BYOL code: each
   * view goes through each network as its own batch of N, so the batch statistics are per view
   * (view 1 is always blurred, view 2 sometimes solarized: their statistics differ) and the
   * moving averages are updated once per view. `"joint"`: both views as one batch of 2N, as
   * SimCLR's learner and some BYOL ports do (lucidrains' byol-pytorch): one set of statistics
   * over both views, one moving-average update, and fewer, larger kernels — faster on CPUs.
   */
  batchNorm?: "per-view" | "joint";
  /**
   * Read float images back once per step to check that they lie in [0, 1] (one read of three
   * numbers; on GPU backends a round trip). Uint8 batches are never checked: they are in range
   * by construction. Default true.
   */
  checkValues?: boolean;
}

/** Options of {@linkcode ByolLearner.step}. */
export interface ByolStepOptions {
  /**
   * The step number: it picks the learning rate, tau and the views' seed. An integer >= 0.
   * Default: the learner's counter ({@linkcode ByolLearner.steps}).
   */
  step?: number;
}

/** The numbers of one step, read back together once. */
export interface ByolStepResult {
  /** The step that ran. */
  step: number;
  /**
   * byolLoss(p1, z2') + byolLoss(p2, z1'): in [0, 8], the scale of deepmind's BYOL code (its
   * `repr_loss`), 4 x (1 + lightly's symmetrised negative cosine).
   */
  loss: number;
  /** The learning rate this step used. */
  learningRate: number;
  /** The target momentum tau this step's EMA update used. */
  tau: number;
  /**
   * Mean cosine between each online prediction and the target projection of the other view,
   * over both views: `1 - loss / 4`. 1 is a perfect prediction.
   */
  cosine: number;
  /**
   * Collapse monitor: the standard deviation over the batch of the unit-length online
   * projections, averaged over their P dimensions, times sqrt(P) (SimSiam, Chen and He 2021,
   * arXiv:2011.10566, section 4.1). 0 when every image maps to the same direction; about 1 when
   * they spread over the sphere.
   */
  projectionStd: number;
}

/** A learner's state: plain, structured-cloneable data (`structuredClone`, a worker message). */
export interface ByolState {
  /** Always `"byol"`. */
  method: "byol";
  /** The step the learner runs next. */
  step: number;
  /** Every weight of each network (batch-norm moving statistics included), in model order. */
  models: {
    encoder: TensorRecord[];
    projector: TensorRecord[];
    predictor: TensorRecord[];
    targetEncoder: TensorRecord[];
    targetProjector: TensorRecord[];
  };
  /** The optimizer's state (`getWeights()`): the iteration count, then its slots. */
  optimizer: TensorRecord[];
}

const TRAINING = { training: true };
const NO_CHECK = { checkValues: false };
const OPTIONS = [
  "encoder",
  "projector",
  "predictor",
  "seed",
  "views",
  "optimizer",
  "learningRate",
  "batchSize",
  "totalSteps",
  "warmupSteps",
  "tau",
  "batchNorm",
  "checkValues",
] as const;
// The default heads' seed stream, apart from the per-step view seeds deriveSeed(seed, step).
const HEAD_STREAM = 0x68656164;

/**
 * BYOL pretraining (Grill et al. 2020, "Bootstrap Your Own Latent: A New Approach to
 * Self-Supervised Learning", arXiv:2006.07733) as a step function: the loop belongs to the
 * caller. Build one with {@linkcode byolLearner}.
 *
 * The online network is the encoder, the projector and the predictor; the target network is
 * an independent copy ({@linkcode copyModel}) of the encoder and the projector made at
 * construction (the same initial weights, its own variables). Each step:
 *
 * 1. two views of the batch (the view preset, seeded by `deriveSeed(seed, step)`);
 * 2. the target projections z1', z2' of both views, outside the gradient tape (no backward
 *    pass runs through the target);
 * 3. the online predictions p1, p2 and the loss byolLoss(p1, sg(z2')) + byolLoss(p2, sg(z1'));
 *    the gradients go to the online encoder, projector and predictor only;
 * 4. the target moves toward the online network: {@linkcode emaUpdate} with tau(step).
 *
 * Batch norm by default as deepmind's BYOL code (`byol_experiment.py`, which applies the
 * network to `view1` and `view2` in turn): each view goes through each network as its own
 * batch of N in training mode, so the statistics are per view and the moving averages are
 * updated once per view (`batchNorm: "joint"` runs both views as one batch of 2N instead). The
 * target network runs in training mode too, and its moving statistics are its own (the EMA
 * averages parameters only).
 */
export class ByolLearner {
  /** The online encoder (the caller's). */
  readonly encoder: tf.LayersModel;
  /** The online projector g. */
  readonly projector: tf.LayersModel;
  /** The predictor q (online only). */
  readonly predictor: tf.LayersModel;
  /** The target encoder: a moving average of {@linkcode ByolLearner.encoder}; the learner's. */
  readonly targetEncoder: tf.LayersModel;
  /** The target projector: a moving average of the projector; the learner's. */
  readonly targetProjector: tf.LayersModel;
  /** The optimizer of the online network. */
  readonly optimizer: tf.Optimizer;
  /** The view preset in use. */
  readonly views: ViewPreset;
  /** The learner's seed. */
  readonly seed: number;
  /** How the two views meet batch norm (see {@linkcode ByolLearnerOptions.batchNorm}). */
  readonly batchNorm: "per-view" | "joint";

  readonly #shape: EncoderShape;
  readonly #tau: (step: number) => number;
  readonly #checkValues: boolean;
  readonly #pairs: [tf.Variable, tf.Variable][];
  readonly #core: LearnerCore<"byol", keyof ByolState["models"]>;

  /**
   * Builds a learner; {@linkcode byolLearner} is the same as `new ByolLearner(options)`.
   *
   * @param options See {@linkcode ByolLearnerOptions}.
   * @throws {TypeError} If an option has the wrong type (a model of the wrong rank, an unknown
   * option name, a schedule option the schedules in use do not need or one they need
   * missing), or two models share variables.
   * @throws {RangeError} If a number is out of range or a head's input width is not the
   * output width of the model before it.
   */
  constructor(options: ByolLearnerOptions) {
    const fn = "byolLearner";
    checkOptions(fn, options);
    checkKeys(fn, options, OPTIONS);
    this.seed = checkSeed(fn, options.seed);
    this.#shape = checkEncoder(fn, options.encoder);
    this.encoder = options.encoder;
    const { dim } = this.#shape;
    let width: number | undefined;
    if (options.projector !== undefined) {
      width = checkHead(fn, "projector", options.projector, dim, "the encoder's output");
    }
    if (options.predictor !== undefined) {
      if (width === undefined) {
        // The default projector's output width.
        checkHead(fn, "predictor", options.predictor, 256, "the projector's output", 256);
      } else {
        checkHead(fn, "predictor", options.predictor, width, "the projector's output", width);
      }
    }
    if (options.views !== undefined && typeof options.views !== "function") {
      throw typeError(fn, "views", "a view preset function", options.views);
    }
    this.views = options.views ?? byolViews;
    if (options.optimizer !== undefined && !(options.optimizer instanceof tf.Optimizer)) {
      throw typeError(fn, "optimizer", "a tf.Optimizer", options.optimizer);
    }
    const schedules = resolveSchedules(fn, options);
    this.#tau = schedules.tau;
    this.batchNorm = checkOneOf(
      fn,
      "batchNorm",
      options.batchNorm ?? "per-view",
      [
        "per-view",
        "joint",
      ] as const,
    );
    this.#checkValues = checkBoolean(fn, "checkValues", options.checkValues ?? true);

    // Built last, once every option is known to be valid; freed again if a check fails.
    const owned: tf.LayersModel[] = [];
    let variables: tf.Variable[];
    try {
      const headSeed = deriveSeed(this.seed, HEAD_STREAM);
      this.projector = options.projector ??
        own(owned, byolProjector({ inputDim: dim, seed: headSeed }));
      const p = options.projector === undefined ? 256 : width!;
      this.predictor = options.predictor ??
        own(owned, byolPredictor({ inputDim: p, outputDim: p, seed: headSeed }));
      checkDistinct(fn, {
        encoder: this.encoder,
        projector: this.projector,
        predictor: this.predictor,
      });
      variables = [this.encoder, this.projector, this.predictor]
        .flatMap((m) => m.trainableWeights.map((w) => w.read() as tf.Variable));
      if (variables.length === 0) {
        throw new RangeError(
          `${fn}(): encoder, projector and predictor must have at least one trainable weight, ` +
            `got none`,
        );
      }
      this.targetEncoder = own(owned, copyLayersModel(fn, "encoder", this.encoder));
      this.targetProjector = own(owned, copyLayersModel(fn, "projector", this.projector));
      this.#pairs = [
        ...emaPairs(fn, this.targetEncoder, this.encoder),
        ...emaPairs(fn, this.targetProjector, this.projector),
      ];
    } catch (error) {
      for (const model of owned) model.dispose();
      throw error;
    }
    this.optimizer = options.optimizer ??
      lars({ learningRate: 0, momentum: 0.9, eta: 0.001, weightDecay: BYOL_WEIGHT_DECAY });
    this.#core = new LearnerCore({
      learner: "ByolLearner",
      method: "byol",
      models: {
        encoder: this.encoder,
        projector: this.projector,
        predictor: this.predictor,
        targetEncoder: this.targetEncoder,
        targetProjector: this.targetProjector,
      },
      variables,
      optimizer: this.optimizer,
      schedule: schedules.learningRate,
      owned: [...owned, ...(options.optimizer === undefined ? [this.optimizer] : [])],
    });
  }

  /** Steps taken: the default index of the next step (restored by `setState`). */
  get steps(): number {
    return this.#core.steps;
  }

  /**
   * One BYOL step on a batch (see {@linkcode ByolLearner}). Every input is checked before
   * anything changes; inside the step nothing is read back except the result (one transfer of
   * two numbers).
   *
   * If the step diverges, the loss is NaN and the weights hold NaN: stop and restore a state
   * saved with {@linkcode ByolLearner.getState}.
   *
   * @param images The batch: a float32 `[N, H, W, C]` tensor in [0, 1] (not disposed), or a
   * uint8 `Dataset` / `Batch` of `@selfsup/data`; N >= 2, C the encoder's channels. Any H, W:
   * the views are cropped and resized to the encoder's input size.
   * @param options The step's index (default: {@linkcode ByolLearner.steps}).
   * @returns The loss, learning rate, tau and monitors as plain numbers.
   * @throws {TypeError} If `images` is not such a tensor or dataset, an option has the wrong
   * type, or the view preset returned something else than two views of the encoder's input
   * shape.
   * @throws {RangeError} If N < 2, the channels differ from the encoder's, a float value is
   * outside [0, 1] (when checked), `step` is not an integer >= 0, or the learning rate or tau
   * for the step is out of range.
   * @throws {Error} If the learner was disposed, or a previous step has not finished.
   *
   * @example One step on random images
   * ```ts
   * import * as tf from "@tensorflow/tfjs";
   * import assert from "node:assert/strict";
   * import { byolLearner } from "@selfsup/byol";
   * import { smallConvNet } from "@selfsup/encoders";
   *
   * const encoder = smallConvNet({ inputShape: [8, 8, 1], filters: [4], seed: 1 });
   * const learner = byolLearner({ encoder, seed: 7, learningRate: 0.1, tau: 0.99 });
   * const images = tf.randomUniform([4, 8, 8, 1], 0, 1, "float32", 2) as tf.Tensor4D;
   * const result = await learner.step(images);
   * assert.equal(result.step, 0);
   * assert.ok(result.loss >= 0 && result.loss <= 8);
   * assert.equal(result.tau, 0.99);
   * assert.equal(learner.steps, 1);
   * images.dispose();
   * learner.dispose();
   * encoder.dispose();
   * ```
   */
  async step(
    images: tf.Tensor4D | Dataset,
    options: ByolStepOptions = {},
  ): Promise<ByolStepResult> {
    const fn = "ByolLearner.step";
    const core = this.#core;
    const step = core.resolveStep(fn, options);
    const [n, h, w] = checkImages(fn, images, this.#shape.channels);
    const learningRate = core.learningRate(fn, step);
    const tau = checkNumber(fn, "tau(step)", this.#tau(step), { min: 0, max: 1 });
    const size: [number, number] = [this.#shape.height ?? h, this.#shape.width ?? w];

    return await core.run(async () => {
      const converted = isDataset(images) ? toImageTensor(images) : undefined;
      try {
        const x = converted ?? images as tf.Tensor4D;
        if (converted === undefined && this.#checkValues) await checkUnitRange(fn, x);
        const seed = deriveSeed(this.seed, step);
        const views = this.views(x, { seed, size, checkValues: false });
        let numbers: tf.Tensor1D;
        try {
          checkViews(fn, views, [n, ...size, this.#shape.channels]);
          // Nothing has changed up to here.
          if (core.scheduled) setLearningRate(this.optimizer, learningRate);
          numbers = this.#train(views, tau);
        } finally {
          // A preset may hand back its input (or one tensor twice): that one is not ours.
          const made = Array.isArray(views) ? views : [];
          tf.dispose([...new Set(made)].filter((v) => v instanceof tf.Tensor && v !== x));
        }
        const [loss, projectionStd] = await numbers.data();
        numbers.dispose();
        core.steps += 1;
        return { step, loss, learningRate, tau, cosine: 1 - loss / 4, projectionStd };
      } finally {
        converted?.dispose();
      }
    });
  }

  // Target forward, online forward and update, EMA. Returns [loss, projectionStd] for one
  // read-back.
  #train(views: [tf.Tensor4D, tf.Tensor4D], tau: number): tf.Tensor1D {
    return tf.tidy(() => {
      // Outside the gradient tape: the target gets no gradient, and no backward pass runs
      // through it.
      const [t1, t2] = this.#twice(views, (v) => this.#project(this.#target, v)); // z' [N, P]
      let spread: tf.Scalar | undefined;
      try {
        const { value, grads } = tf.variableGrads(() => {
          const [z1, z2] = this.#twice(views, (v) => this.#project(this.#online, v)); // [N, P]
          const [p1, p2] = this.#twice( // [N, P] each
            [z1, z2],
            (z) => this.predictor.apply(z, TRAINING) as tf.Tensor2D,
          );
          // A monitor, kept past the gradient's tidy; not part of the loss.
          spread = tf.keep(projectionStd(tf.concat([z1, z2])));
          return tf.add(byolLoss(p1, t2, NO_CHECK), byolLoss(p2, t1, NO_CHECK)) as tf.Scalar;
        }, this.#core.variables);
        this.optimizer.applyGradients(grads);
        averageInto(this.#pairs, tau);
        return tf.stack([value, spread!]) as tf.Tensor1D;
      } finally {
        spread?.dispose();
      }
    });
  }

  // f on each view: one call per view ("per-view") or one call on both as a batch of 2N.
  #twice<T extends tf.Tensor, U extends tf.Tensor>(
    [a, b]: [T, T],
    f: (x: T) => U,
  ): [U, U] {
    if (this.batchNorm === "per-view") return [f(a), f(b)];
    return tf.split(f(tf.concat([a, b]) as T), 2, 0) as [U, U];
  }

  get #online(): [tf.LayersModel, tf.LayersModel] {
    return [this.encoder, this.projector];
  }

  get #target(): [tf.LayersModel, tf.LayersModel] {
    return [this.targetEncoder, this.targetProjector];
  }

  #project([encoder, projector]: [tf.LayersModel, tf.LayersModel], v: tf.Tensor): tf.Tensor2D {
    const h = encoder.apply(v, TRAINING) as tf.Tensor2D; // [N, D]
    return projector.apply(h, TRAINING) as tf.Tensor2D; // [N, P]
  }

  /**
   * The learner's state as plain data (see {@linkcode ByolState}): pass it to
   * {@linkcode ByolLearner.setState} of a learner built the same way to continue
   * bit-identically on the same backend (tau and the learning rate are functions of the step,
   * the views of the seed and the step). Holds no tensors; structured-cloneable.
   *
   * @returns A copy of the step counter, the five networks' weights (batch-norm moving
   * statistics included) and the optimizer's state.
   * @throws {Error} If the learner was disposed, or a step has not finished.
   *
   * @example Save after a step, restore into a fresh learner
   * ```ts
   * import * as tf from "@tensorflow/tfjs";
   * import assert from "node:assert/strict";
   * import { byolLearner } from "@selfsup/byol";
   * import { smallConvNet } from "@selfsup/encoders";
   * import { byolPredictor, byolProjector } from "@selfsup/heads";
   *
   * const build = () =>
   *   byolLearner({
   *     encoder: smallConvNet({ inputShape: [8, 8, 1], filters: [4], seed: 1 }),
   *     projector: byolProjector({ inputDim: 4, hiddenDim: 8, outputDim: 4, seed: 1 }),
   *     predictor: byolPredictor({ inputDim: 4, hiddenDim: 8, outputDim: 4, seed: 1 }),
   *     seed: 7,
   *     learningRate: 0.1,
   *     tau: 0.9,
   *   });
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
   *   [l.encoder, l.projector, l.predictor].forEach((model) => model.dispose());
   * }
   * images.dispose();
   * ```
   */
  getState(): Promise<ByolState> {
    return this.#core.getState();
  }

  /**
   * Restores a state made by {@linkcode ByolLearner.getState} into this learner (built with
   * the same architectures and optimizer type): the five networks' weights in place, the
   * optimizer's state and the step counter. Everything is checked first: a state that does
   * not fit changes nothing. tfjs's Adam recomputes its beta powers on restore, so with Adam
   * the next steps may differ in the last bits; LARS and momentum continue exactly.
   *
   * @param state The state; it is copied, not kept.
   * @throws {TypeError} If `state` or a part of it has the wrong type.
   * @throws {RangeError} If it is not a BYOL state, or its records do not match this
   * learner's weights (count, shapes, dtypes) or trainable variables.
   * @throws {Error} If the learner was disposed, or a step has not finished.
   *
   * @example A state from another architecture is refused
   * ```ts
   * import assert from "node:assert/strict";
   * import { byolLearner } from "@selfsup/byol";
   * import { smallConvNet } from "@selfsup/encoders";
   *
   * const small = smallConvNet({ inputShape: [8, 8, 1], filters: [4], seed: 1 });
   * const wide = smallConvNet({ inputShape: [8, 8, 1], filters: [6], seed: 1 });
   * const a = byolLearner({ encoder: small, seed: 7, learningRate: 0.1, tau: 0.99 });
   * const b = byolLearner({ encoder: wide, seed: 7, learningRate: 0.1, tau: 0.99 });
   * await assert.rejects(b.setState(await a.getState()), RangeError);
   * for (const l of [a, b]) {
   *   l.dispose();
   *   l.encoder.dispose();
   * }
   * ```
   */
  setState(state: ByolState): Promise<void> {
    return this.#core.setState(state);
  }

  /**
   * Frees what the learner built: the target network, the default optimizer's state and the
   * default projector and predictor. The encoder, and heads or an optimizer passed in, stay
   * the caller's to dispose. Calling it twice does nothing; the learner cannot be used
   * afterwards.
   *
   * @example
   * ```ts
   * import * as tf from "@tensorflow/tfjs";
   * import assert from "node:assert/strict";
   * import { byolLearner } from "@selfsup/byol";
   * import { smallConvNet } from "@selfsup/encoders";
   *
   * const encoder = smallConvNet({ inputShape: [8, 8, 1], filters: [4], seed: 1 });
   * const before = tf.memory().numTensors;
   * const learner = byolLearner({ encoder, seed: 7, learningRate: 0.1, tau: 0.99 });
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
 * Builds a {@linkcode ByolLearner}: BYOL pretraining of `encoder` as a step function, with the
 * paper's defaults (projector and predictor 4096-256, LARS with lr 0.2 x batchSize / 256 and
 * weight decay 1.5e-6 on warmup + cosine, tau from 0.996 to 1, the paper's asymmetric views).
 *
 * @param options See {@linkcode ByolLearnerOptions}.
 * @returns The learner; `dispose()` it when done (the encoder stays the caller's).
 * @throws {TypeError} If an option has the wrong type (a model of the wrong rank, an unknown
 * option name, a schedule option the schedules in use do not need or one they need missing),
 * or two models share variables.
 * @throws {RangeError} If a number is out of range or a head's input width is not the output
 * width of the model before it.
 *
 * @example With small heads and the paper's schedules over 10 steps
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { byolLearner } from "@selfsup/byol";
 * import { smallConvNet } from "@selfsup/encoders";
 * import { byolPredictor, byolProjector } from "@selfsup/heads";
 *
 * const encoder = smallConvNet({ inputShape: [16, 16, 1], filters: [4], seed: 1 });
 * const learner = byolLearner({
 *   encoder,
 *   projector: byolProjector({ inputDim: 4, hiddenDim: 16, outputDim: 8, seed: 1 }),
 *   predictor: byolPredictor({ inputDim: 8, hiddenDim: 16, outputDim: 8, seed: 1 }),
 *   seed: 7,
 *   batchSize: 4,
 *   totalSteps: 10,
 * });
 * const images = tf.randomUniform([4, 16, 16, 1], 0, 1, "float32", 3) as tf.Tensor4D;
 * const first = await learner.step(images);
 * assert.equal(first.tau, 0.996); // tau_base at step 0
 * // 1% warmup of 10 steps rounds to none: the peak 0.2 x 4 / 256 at once
 * assert.equal(first.learningRate, 0.2 * 4 / 256);
 * const second = await learner.step(images);
 * assert.equal(second.step, 1);
 * images.dispose();
 * learner.dispose();
 * [encoder, learner.projector, learner.predictor].forEach((model) => model.dispose());
 * ```
 */
export function byolLearner(options: ByolLearnerOptions): ByolLearner {
  return new ByolLearner(options);
}

function own(list: tf.LayersModel[], model: tf.LayersModel): tf.LayersModel {
  list.push(model);
  return model;
}

/** The standard deviation of unit rows over the batch, mean over columns, times sqrt(P). */
function projectionStd(z: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const unit = tf.div(z, tf.maximum(tf.norm(z, "euclidean", 1, true), 1e-12)); // [M, P]
    const { variance } = tf.moments(unit, 0); // [P]
    return tf.mul(tf.mean(tf.sqrt(variance)), Math.sqrt(z.shape[1])) as tf.Scalar;
  });
}

// The learning rate per step (null when a caller's optimizer keeps its own rate) and tau per
// step. batchSize, totalSteps and warmupSteps only shape the default schedules: each must be
// given when a default in use needs it and omitted otherwise.
function resolveSchedules(
  fn: string,
  options: ByolLearnerOptions,
): { learningRate: ((step: number) => number) | null; tau: (step: number) => number } {
  const { learningRate, optimizer, tau } = options;
  const defaultRate = learningRate === undefined && optimizer === undefined;
  const needs = {
    batchSize: defaultRate,
    totalSteps: defaultRate || tau === undefined,
    warmupSteps: defaultRate,
  };
  for (const name of ["batchSize", "totalSteps", "warmupSteps"] as const) {
    if (!needs[name] && options[name] !== undefined) {
      throw typeError(
        fn,
        name,
        name === "totalSteps"
          ? "omitted when learningRate (or optimizer) and tau are given (it shapes only the " +
            "default schedules)"
          : "omitted when learningRate or optimizer is given (it shapes only the default " +
            "learning-rate schedule)",
        options[name],
      );
    }
    if (needs[name] && name !== "warmupSteps" && options[name] === undefined) {
      throw typeError(
        fn,
        name,
        `an integer >= 1 (the default ${
          name === "batchSize" || tau !== undefined ? "learning-rate" : "tau"
        } schedule needs it; or pass ${
          name === "batchSize" ? "learningRate" : "learningRate and tau"
        })`,
        undefined,
      );
    }
  }
  const totalSteps = options.totalSteps === undefined
    ? 0
    : checkInteger(fn, "totalSteps", options.totalSteps, { min: 1 });

  let rate: ((step: number) => number) | null = null;
  if (typeof learningRate === "function") {
    rate = learningRate;
  } else if (learningRate !== undefined) {
    const constant = checkNumber(fn, "learningRate", learningRate, { min: 0 });
    rate = () => constant;
  } else if (defaultRate) {
    const batchSize = checkInteger(fn, "batchSize", options.batchSize, { min: 1 });
    const warmupSteps = options.warmupSteps === undefined
      ? Math.round(totalSteps / 100)
      : checkInteger(fn, "warmupSteps", options.warmupSteps, { min: 0, max: totalSteps });
    rate = warmupCosine({
      baseLr: linearScaledLr(BYOL_BASE_LEARNING_RATE, batchSize),
      warmupSteps,
      totalSteps,
    });
  }

  let tauAt: (step: number) => number;
  if (typeof tau === "function") {
    tauAt = tau;
  } else if (tau !== undefined) {
    const constant = checkNumber(fn, "tau", tau, { min: 0, max: 1 });
    tauAt = () => constant;
  } else {
    tauAt = cosineMomentum({ base: BYOL_BASE_TAU, totalSteps });
  }
  return { learningRate: rate, tau: tauAt };
}
