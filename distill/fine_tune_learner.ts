import * as tf from "@tensorflow/tfjs";
import { crossEntropy } from "@selfsup/losses";
import { sqrtScaledLr } from "@selfsup/optim";
import {
  checkBoolean,
  checkKeys,
  checkOptions,
  checkSeed,
  deriveSeed,
  typeError,
} from "@selfsup/internal";
import { checkCropScale, cropFlip, DEFAULT_CROP_SCALE } from "./_crop_flip.ts";
import {
  checkImages,
  checkUnitRange,
  type ImageInput,
  imageTensor,
  inputSize,
  isDataset,
} from "./_images.ts";
import { checkLabels, type Labels, labelTensor } from "./_labels.ts";
import {
  defaultOptimizer,
  distillSchedule,
  type LearningRate,
  Trainer,
  type TrainerState,
} from "./_trainer.ts";
import { buildClassifier } from "./_classifier.ts";

/** Options of {@linkcode fineTuneLearner}. */
export interface FineTuneLearnerOptions {
  /** The pretrained encoder, images `[N, H, W, C]` -> h `[N, D]`; trained in place. */
  encoder: tf.LayersModel;
  /**
   * The pretrained projection head (SimCLRv2: 3 layers). Its first `k` layers are trained in
   * place; omit it to fine-tune encoder -> linear layer.
   */
  head?: tf.LayersModel;
  /** Head layers to keep, 0 (from h) to the head's `layers`. Default 1 (SimCLRv2). */
  k?: number;
  /** Number of classes (>= 2). */
  numClasses: number;
  /** Integer seed of the linear layer and of every step's crops and flips. */
  seed: number;
  /**
   * Any `tf.Optimizer` (e.g. `tf.train.momentum(lr, 0.9)`, as in google-research/simclr's
   * CIFAR-10 fine-tuning example); it stays the caller's. Default: LARS of `@selfsup/optim`
   * with momentum 0.9, trust coefficient 0.001 and no weight decay, batch-norm parameters,
   * biases and the linear layer excluded from the trust ratio (google-research/simclr); the
   * learner owns (and disposes) it.
   */
  optimizer?: tf.Optimizer;
  /**
   * A constant, or a function from the step to the rate (a finite number >= 0), set before
   * each step with `setLearningRate`. When omitted with the default optimizer: SimCLRv2's
   * fine-tuning schedule, cosine decay without warmup from `0.005 * sqrt(batchSize)` (0.16 at
   * its batch of 1024, section 4), which needs `batchSize` and `totalSteps`. When omitted
   * with an optimizer passed in: that optimizer keeps its own rate.
   */
  learningRate?: LearningRate;
  /** The batch size the default learning rate is scaled for. */
  batchSize?: number;
  /** Steps of the default schedule (the rate is 0 from there on). */
  totalSteps?: number;
  /** Linear warmup steps of the default schedule, in [0, totalSteps]. Default 0 (SimCLRv2). */
  warmupSteps?: number;
  /** Area range of the random crop. Default `[0.08, 1]` (SimCLR's crop). */
  cropScale?: [number, number];
  /**
   * Read float images back once per step to check they lie in [0, 1] (and label tensors to
   * check their range). Default true; a loop on a GPU may pass false.
   */
  checkValues?: boolean;
}

/** Options of {@linkcode FineTuneLearner.step}. */
export interface FineTuneStepOptions {
  /**
   * One class per image: an `Int32Array` (as `@selfsup/data` yields), an array or an int32
   * tensor `[N]`. Default: the labels of a Dataset / Batch given as `images`.
   */
  labels?: Labels;
  /**
   * The step's index, an integer >= 0: it seeds the crops and flips
   * (`deriveSeed(seed, step)`) and sets the scheduled learning rate. Default: `steps`.
   */
  step?: number;
}

/** What {@linkcode FineTuneLearner.step} returns: plain numbers. */
export interface FineTuneStepResult {
  /** The step that ran. */
  step: number;
  /** Mean cross-entropy of the batch before the update. */
  loss: number;
  /** The learning rate used. */
  learningRate: number;
  /** Share of the (augmented) batch classified right before the update. */
  accuracy: number;
}

/** A serialisable snapshot of a {@linkcode FineTuneLearner}. */
export type FineTuneState = TrainerState<"finetune">;

const OPTIONS = [
  "encoder",
  "head",
  "k",
  "numClasses",
  "seed",
  "optimizer",
  "learningRate",
  "batchSize",
  "totalSteps",
  "warmupSteps",
  "cropScale",
  "checkValues",
] as const;

/**
 * SimCLRv2's fine-tuning stage, driven by the caller's own loop; build one with
 * {@linkcode fineTuneLearner}.
 *
 * "Big Self-Supervised Models are Strong Semi-Supervised Learners" (Chen, Kornblith, Swersky,
 * Norouzi and Hinton, 2020, arXiv:2006.10029), section 2: the classifier is the encoder, the
 * projection head's first `k` layers and a new linear layer ({@linkcode classifierModel}),
 * trained as a whole on the labelled examples. Its defaults are the paper's settings scaled to
 * the batch (section 4): LARS without weight decay, learning rate `0.005 * sqrt(batchSize)`
 * with no warmup and cosine decay, and only random crop and horizontal flip as augmentation.
 * google-research/simclr excludes its supervised head from LARS's trust ratio
 * (`exclude_from_weight_decay=['batch_normalization', 'bias', 'head_supervised']`); the default
 * optimizer does the same for the linear layer. The linear layer starts as `linearClassifier`
 * of `@selfsup/heads` (kernel N(0, 0.01^2)), where the reference can also start it at zero
 * (`--zero_init_logits_layer`).
 *
 * Fine-tuning starts from exactly the weights the encoder and head hold (they are shared, not
 * copied). Batch norm runs in training mode on each batch, the single-device form of the
 * paper's global batch norm; `model.predict` uses the moving statistics that follow it.
 *
 * Ownership: the encoder and head are the caller's, trained in place. {@linkcode model} is the
 * caller's too once built: `model.dispose()` frees its linear layer, and it outlives the
 * learner (e.g. as a distillation teacher). {@linkcode FineTuneLearner.dispose} frees the
 * optimizer the learner built.
 */
export class FineTuneLearner {
  /** Encoder -> head up to k -> linear layer: images to logits `[N, numClasses]`. */
  readonly model: tf.LayersModel;
  /** The encoder (the caller's). */
  readonly encoder: tf.LayersModel;
  /** The head (the caller's), or undefined. */
  readonly head: tf.LayersModel | undefined;
  /** How many of the head's layers the model keeps (0 without a head). */
  readonly k: number;
  /** The number of classes. */
  readonly numClasses: number;
  /** The learner's seed. */
  readonly seed: number;

  readonly #trainer: Trainer<"finetune">;
  readonly #cropScale: [number, number];
  readonly #checkValues: boolean;

  /**
   * Builds a learner; {@linkcode fineTuneLearner} is the same as `new FineTuneLearner(options)`.
   *
   * @param options See {@linkcode FineTuneLearnerOptions}.
   * @throws {TypeError} If an option has the wrong type or an unknown name, or a schedule
   *   option is given with `learningRate` / `optimizer`, or missing without them.
   * @throws {RangeError} If a number is out of range, `k` is not in [0, the head's layers], or
   *   the head's input width is not the encoder's output width.
   */
  constructor(options: FineTuneLearnerOptions) {
    const fn = "fineTuneLearner";
    checkOptions(fn, options);
    checkKeys(fn, options, OPTIONS);
    this.seed = checkSeed(fn, options.seed);
    this.#cropScale = checkCropScale(fn, options.cropScale ?? [...DEFAULT_CROP_SCALE]);
    this.#checkValues = checkBoolean(fn, "checkValues", options.checkValues ?? true);
    if (options.optimizer !== undefined && !(options.optimizer instanceof tf.Optimizer)) {
      throw typeError(fn, "optimizer", "a tf.Optimizer", options.optimizer);
    }
    const schedule = distillSchedule(fn, options, {
      baseLr: (batchSize) => sqrtScaledLr(0.005, batchSize),
      warmupFraction: 0,
    });
    // Built last, once every option is known to be valid, so a bad option leaks nothing.
    const { model, k } = buildClassifier(fn, {
      encoder: options.encoder,
      head: options.head,
      k: options.k,
      numClasses: options.numClasses,
      seed: this.seed,
      name: "fine_tuned",
    });
    this.model = model;
    this.k = k;
    this.encoder = options.encoder;
    this.head = options.head;
    this.numClasses = options.numClasses;
    const optimizer = options.optimizer ?? defaultOptimizer(model, 0);
    this.#trainer = new Trainer(
      "FineTuneLearner",
      "finetune",
      { classifier: model },
      model,
      optimizer,
      options.optimizer === undefined,
      schedule,
    );
  }

  /** The optimizer. */
  get optimizer(): tf.Optimizer {
    return this.#trainer.optimizer;
  }

  /** Steps taken: the default index of the next step (restored by `setState`). */
  get steps(): number {
    return this.#trainer.steps;
  }

  /**
   * One fine-tuning step on a labelled batch: a crop + flip view seeded from (seed, step), the
   * whole network in training mode, cross-entropy, one optimizer update. Every input is
   * checked before anything changes; inside the step nothing is read back but the result.
   *
   * @param images A float32 `[N, H, W, C]` tensor in [0, 1] (not disposed) or a uint8
   *   `Dataset` / `Batch` of `@selfsup/data`, of the model's input size, N >= 2.
   * @param options The labels (default: those of a Dataset given as `images`) and the step.
   * @returns The loss, learning rate and batch accuracy as plain numbers.
   * @throws {TypeError} If `images` or `labels` has the wrong type, labels are missing, or an
   *   option has the wrong type or an unknown name.
   * @throws {RangeError} If N < 2, the images do not fit the model, the labels are not N
   *   integers in [0, numClasses), a float value is outside [0, 1] (when checked), `step` is
   *   not an integer >= 0, or the step's learning rate is not a finite number >= 0.
   * @throws {Error} If the learner was disposed or a previous step has not finished.
   *
   * @example
   * ```ts
   * import * as tf from "@tensorflow/tfjs";
   * import assert from "node:assert/strict";
   * import { fineTuneLearner } from "@selfsup/distill";
   * import { smallConvNet } from "@selfsup/encoders";
   *
   * const encoder = smallConvNet({ inputShape: [8, 8, 1], filters: [4], seed: 1 });
   * const learner = fineTuneLearner({ encoder, numClasses: 2, seed: 2, learningRate: 0.1 });
   * const images = tf.randomUniform([4, 8, 8, 1], 0, 1, "float32", 3) as tf.Tensor4D;
   * const result = await learner.step(images, { labels: [0, 1, 1, 0] });
   * assert.equal(result.step, 0);
   * assert.ok(Math.abs(result.loss - Math.log(2)) < 0.1); // a new linear layer: near chance
   * images.dispose();
   * learner.dispose();
   * learner.model.dispose();
   * encoder.dispose();
   * ```
   */
  async step(images: ImageInput, options: FineTuneStepOptions = {}): Promise<FineTuneStepResult> {
    const fn = "FineTuneLearner.step";
    const step = this.#trainer.resolveStep(fn, options, ["labels", "step"]);
    const n = checkImages(fn, "images", images, inputSize(this.model), 2);
    const given = options.labels ?? (isDataset(images) ? images.labels : undefined);
    if (given === undefined) {
      throw typeError(fn, "labels", "given (or carried by the Dataset given as images)", given);
    }
    const labels = checkLabels(fn, "labels", given, n, this.numClasses, this.#checkValues);
    if (this.#checkValues) checkUnitRange(fn, "images", images);
    const learningRate = this.#trainer.learningRate(fn, step);

    const { tensor, owned } = imageTensor(images);
    try {
      const [loss, accuracy] = await this.#trainer.update(learningRate, () => {
        const view = cropFlip(tensor, deriveSeed(this.seed, step), this.#cropScale);
        const logits = this.model.apply(view, { training: true }) as tf.Tensor2D; // [N, K]
        const classes = labelTensor(labels); // [N]
        const right = tf.equal(tf.argMax(logits, 1), classes); // [N]
        return [
          crossEntropy(logits, classes, { checkValues: false }),
          tf.mean(tf.cast(right, "float32")) as tf.Scalar,
        ];
      });
      return { step, loss, learningRate, accuracy };
    } finally {
      if (owned) tensor.dispose();
    }
  }

  /**
   * The learner's state as plain data: the step counter, every weight of {@linkcode model}
   * (encoder, head layers and linear layer, moving statistics included) and the optimizer's
   * state. Holds no tensors; structured-cloneable. Restore it with `setState` into a learner
   * built the same way to continue bit-identically on the same backend.
   *
   * @example Save, restore into a fresh learner, continue identically
   * ```ts
   * import * as tf from "@tensorflow/tfjs";
   * import assert from "node:assert/strict";
   * import { fineTuneLearner } from "@selfsup/distill";
   * import { smallConvNet } from "@selfsup/encoders";
   *
   * const build = () =>
   *   fineTuneLearner({
   *     encoder: smallConvNet({ inputShape: [8, 8, 1], filters: [4], seed: 1 }),
   *     numClasses: 2,
   *     seed: 2,
   *     learningRate: 0.1,
   *   });
   * const images = tf.randomUniform([4, 8, 8, 1], 0, 1, "float32", 3) as tf.Tensor4D;
   * const labels = [0, 1, 1, 0];
   * const learner = build();
   * await learner.step(images, { labels });
   * const resumed = build();
   * await resumed.setState(structuredClone(await learner.getState()));
   * const a = await learner.step(images, { labels });
   * const b = await resumed.step(images, { labels });
   * assert.equal(a.loss, b.loss);
   * for (const l of [learner, resumed]) {
   *   l.dispose();
   *   l.model.dispose();
   *   l.encoder.dispose();
   * }
   * images.dispose();
   * ```
   */
  getState(): Promise<FineTuneState> {
    return this.#trainer.getState();
  }

  /**
   * Restores a state made by {@linkcode FineTuneLearner.getState} into this learner (same
   * architecture and optimizer type): the weights in place, the optimizer's state and the step
   * counter. A state that does not fit throws and changes nothing. tfjs's Adam recomputes its
   * beta powers on restore, so with Adam the next steps may differ in the last bits; LARS and
   * momentum continue exactly.
   *
   * @param state The state; it is copied, not kept.
   * @throws {TypeError} If `state` or a part of it has the wrong type.
   * @throws {RangeError} If it is not a fine-tuning state or its records do not fit.
   */
  setState(state: FineTuneState): Promise<void> {
    return this.#trainer.setState(state);
  }

  /**
   * Frees the optimizer the learner built (one passed in stays the caller's). The models are
   * not touched: dispose `model`, the encoder and the head yourself. Calling it twice does
   * nothing; the learner cannot be used afterwards.
   */
  dispose(): void {
    this.#trainer.dispose();
  }
}

/**
 * Builds a SimCLRv2 fine-tuning learner (see {@linkcode FineTuneLearner}): encoder -> head up to
 * `k` -> a new linear layer, trained on labelled batches with the paper's settings.
 *
 * @param options See {@linkcode FineTuneLearnerOptions}.
 * @returns The learner; dispose it, and its `model`, when done.
 * @throws {TypeError} If an option has the wrong type or an unknown name.
 * @throws {RangeError} If a number is out of range, `k` is not in [0, the head's layers], or
 *   the head does not fit the encoder.
 *
 * @example Fine-tune from the first layer of a 3-layer head (SimCLRv2)
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { fineTuneLearner } from "@selfsup/distill";
 * import { smallConvNet } from "@selfsup/encoders";
 * import { projectionHead } from "@selfsup/heads";
 *
 * const encoder = smallConvNet({ inputShape: [8, 8, 1], filters: [4, 8], seed: 1 });
 * const head = projectionHead({ inputDim: 8, outputDim: 4, layers: 3, seed: 2 });
 * const learner = fineTuneLearner({
 *   encoder, head, numClasses: 3, seed: 3, batchSize: 6, totalSteps: 2,
 * });
 * assert.equal(learner.k, 1);
 * assert.equal(learner.optimizer.getClassName(), "LARSOptimizer");
 * const images = tf.randomUniform([6, 8, 8, 1], 0, 1, "float32", 4) as tf.Tensor4D;
 * const labels = new Int32Array([0, 1, 2, 0, 1, 2]);
 * for (let i = 0; i < 2; i++) {
 *   const { step, loss } = await learner.step(images, { labels });
 *   assert.equal(step, i);
 *   assert.ok(Number.isFinite(loss));
 * }
 * images.dispose();
 * learner.dispose();
 * learner.model.dispose();
 * encoder.dispose();
 * head.dispose();
 * ```
 *
 * @example k out of range is refused
 * ```ts
 * import assert from "node:assert/strict";
 * import { fineTuneLearner } from "@selfsup/distill";
 * import { smallConvNet } from "@selfsup/encoders";
 * import { projectionHead } from "@selfsup/heads";
 *
 * const encoder = smallConvNet({ inputShape: [8, 8, 1], filters: [4], seed: 1 });
 * const head = projectionHead({ inputDim: 4, layers: 3, seed: 2 });
 * assert.throws(
 *   () => fineTuneLearner({ encoder, head, k: 4, numClasses: 3, seed: 3, learningRate: 0.1 }),
 *   { name: "RangeError", message: "fineTuneLearner(): k must be an integer in [0, 3], got 4" },
 * );
 * encoder.dispose();
 * head.dispose();
 * ```
 */
export function fineTuneLearner(options: FineTuneLearnerOptions): FineTuneLearner {
  return new FineTuneLearner(options);
}
